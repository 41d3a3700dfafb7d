import type { Clock } from '../clock.js';
import { excerpt, InvalidClient, NotFound, PolicyViolation } from '../errors.js';
import type { ClientRecord, Store } from '../store/store.js';
import { clientSecretMatches, newClientId, newClientSecret } from '../tokens/client-secret.js';
import { isScopeToken } from '../tokens/scopes.js';
import type { Audit } from './audit.js';
import type { RevocationList } from './revocation-list.js';
import { DEFAULT_CLIENT_ID } from './token-issuer.js';

/** Client credentials as a request carried them (RFC 6749 §2.3.1). */
export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly method: 'client_secret_basic' | 'client_secret_post' | 'none';
}

/** The client a request stands for, after authentication. */
export interface Client {
  readonly id: string;
  readonly name: string;
  /** Confidential clients have a secret and proved it on this request. */
  readonly confidential: boolean;
  readonly scopes: readonly string[];
  /** How it authenticated; `none` for a public client. */
  readonly method: ClientCredentials['method'];
  /** False when the request named no client and stands for the built-in public one. */
  readonly identified: boolean;
}

export interface NewClientInput {
  readonly name: string;
  readonly public?: boolean;
  readonly scopes?: readonly string[];
}

/** What the CLI and the admin API show of a client: never the secret's hash. */
export interface ClientView {
  readonly client_id: string;
  readonly name: string;
  readonly public: boolean;
  readonly scopes: readonly string[];
  readonly created_at: string;
}

export function toClientView(client: ClientRecord): ClientView {
  return {
    client_id: client.id,
    name: client.name,
    public: client.secretHash === null,
    scopes: client.scopes,
    created_at: new Date(client.createdAt).toISOString(),
  };
}

/** The seed's `/token` needs no client: requests that name none stand for this public client. */
const BUILT_IN: ClientRecord = { id: DEFAULT_CLIENT_ID, name: 'Gatehouse', secretHash: null, scopes: [], createdAt: 0 };

const MAX_NAME = 128;
const MAX_CLIENT_ID = 256;

export class ClientService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly audit: Audit,
    private readonly revocations: RevocationList,
  ) {}

  /** Registers a client; a confidential one gets a secret, returned here once and stored only hashed. */
  async register(input: NewClientInput): Promise<{ readonly client: ClientRecord; readonly secret: string | undefined }> {
    const name = input.name.trim();
    if ([...name].length < 1 || [...name].length > MAX_NAME) throw new PolicyViolation(`client name must be 1 to ${MAX_NAME} characters`);
    if (/\p{Cc}/u.test(name)) throw new PolicyViolation('client name must not contain control characters');
    const scopes = [...new Set(input.scopes ?? [])].sort();
    for (const scope of scopes) {
      // One scope per entry: a space would make two scopes of it in every token (RFC 6749 §3.3).
      if (!isScopeToken(scope)) throw new PolicyViolation(`scope ${excerpt(scope)} has characters RFC 6749 §3.3 does not allow`);
    }
    const generated = input.public ? undefined : newClientSecret();
    const client = await this.store.clients.create({
      id: newClientId(),
      name,
      secretHash: generated?.hash ?? null,
      scopes,
      createdAt: this.clock.now(),
    });
    void this.audit.record('client.created', { clientId: client.id, detail: { name, public: input.public === true, scopes } });
    return { client, secret: generated?.secret };
  }

  list(query: { limit: number; offset: number }): Promise<{ readonly clients: readonly ClientRecord[]; readonly total: number }> {
    return this.store.clients.list(query);
  }

  async get(id: string): Promise<ClientRecord> {
    const client = id.length <= MAX_CLIENT_ID ? await this.store.clients.findById(id) : undefined;
    if (!client) throw new NotFound('No such client');
    return client;
  }

  /** Deletes a client; its logins end and their access tokens are revoked. */
  async delete(id: string): Promise<void> {
    const { deleted, revokedAccessTokens } = await this.store.clients.delete(id, this.clock.now());
    if (!deleted) throw new NotFound('No such client');
    this.revocations.note(revokedAccessTokens);
    void this.audit.record('client.deleted', { clientId: id });
  }

  /**
   * RFC 6749 §2.3: no credentials stand for the built-in public client; a client_id alone
   * must name a registered public client; a confidential client must prove its secret
   * (§3.2.1), and a public one must not send one. Every failure is the same invalid_client.
   */
  async authenticate(credentials: ClientCredentials | undefined, ip: string | null): Promise<Client> {
    if (credentials === undefined) return toClient(BUILT_IN, 'none', false);
    const { clientId, clientSecret, method } = credentials;
    const record =
      clientId === DEFAULT_CLIENT_ID ? BUILT_IN : clientId.length <= MAX_CLIENT_ID ? await this.store.clients.findById(clientId) : undefined;
    let reason: string | undefined;
    if (!record) reason = 'unknown_client';
    else if (record.secretHash === null) reason = clientSecret === undefined ? undefined : 'public_client_sent_secret';
    else if (clientSecret === undefined) reason = 'secret_missing';
    else if (!clientSecretMatches(clientSecret, record.secretHash)) reason = 'wrong_secret';
    if (reason !== undefined || !record) {
      void this.audit.record('client.auth_failed', { clientId: clientId.slice(0, MAX_CLIENT_ID), ip, detail: { reason, method } });
      throw new InvalidClient();
    }
    return toClient(record, record.secretHash === null ? 'none' : method, true);
  }
}

function toClient(record: ClientRecord, method: ClientCredentials['method'], identified: boolean): Client {
  return { id: record.id, name: record.name, confidential: record.secretHash !== null, scopes: record.scopes, method, identified };
}
