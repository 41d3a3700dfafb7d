/**
 * Table shapes as Kysely sees them; one schema for SQLite and PostgreSQL. Times are epoch
 * milliseconds (BIGINT), flags are 0/1 integers: the portable subset of both engines.
 */
export interface UsersTable {
  id: string;
  username: string;
  username_normalized: string;
  email: string | null;
  full_name: string | null;
  password_hash: string | null;
  disabled: number;
  created_at: number;
  updated_at: number;
}

export interface UserRolesTable {
  user_id: string;
  role: string;
}

export interface ClientsTable {
  id: string;
  name: string;
  secret_hash: string | null;
  /** Space-separated scope names the client may be granted. */
  scopes: string;
  created_at: number;
}

export interface RefreshFamiliesTable {
  id: string;
  user_id: string;
  client_id: string;
  scope: string;
  created_at: number;
  expires_at: number;
  /** When a token of the family was last exchanged. */
  last_used_at: number | null;
  revoked_at: number | null;
  revoked_reason: string | null;
}

export interface RefreshTokensTable {
  /** SHA-256 of the token, base64url; the token itself is never stored. */
  hash: string;
  family_id: string;
  created_at: number;
  used_at: number | null;
  /** The access token issued together with this refresh token, revoked with the family. */
  access_jti: string | null;
  access_expires_at: number | null;
}

export interface RevokedTokensTable {
  jti: string;
  /** When the access token expires; the row can go then. */
  expires_at: number;
  /** When it was revoked: instances ask for rows newer than their last look. */
  revoked_at: number;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  /** PKCS#8 PEM, or `enc:v1:…` when a key-encryption key is configured. */
  private_key: string;
  created_at: number;
  retired_at: number | null;
}

export interface AuditEventsTable {
  id: string;
  at: number;
  type: string;
  user_id: string | null;
  username: string | null;
  client_id: string | null;
  ip: string | null;
  /** JSON object with event-specific detail; never a secret. */
  detail: string | null;
}

export interface Database {
  users: UsersTable;
  user_roles: UserRolesTable;
  clients: ClientsTable;
  refresh_families: RefreshFamiliesTable;
  refresh_tokens: RefreshTokensTable;
  revoked_tokens: RevokedTokensTable;
  signing_keys: SigningKeysTable;
  audit_events: AuditEventsTable;
}
