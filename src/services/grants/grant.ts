import type { UserRecord } from '../../store/store.js';

/** Client credentials as the token endpoint received them (RFC 6749 §2.3.1). */
export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly method: 'client_secret_basic' | 'client_secret_post' | 'none';
}

export interface GrantContext {
  readonly ip: string | null;
  /** Credentials from the Authorization header or the body; undefined when the client sent none. */
  readonly client: ClientCredentials | undefined;
}

/** The token endpoint's successful answer (RFC 6749 §5.1). */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'bearer';
  readonly expires_in: number;
  readonly scope: string;
  readonly refresh_token?: string;
}

/** One grant type: registered in the token endpoint's table and dispatched by `grant_type`. */
export interface Grant {
  readonly grantType: string;
  handle(params: Readonly<Record<string, string>>, context: GrantContext): Promise<TokenResponse>;
}

export interface IssuedFor {
  readonly user: UserRecord;
  readonly scopes: readonly string[];
  readonly clientId: string;
}
