import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from 'pino';
import type { LoginLimiter } from '../limits/login-limiter.js';
import type { PasswordHasher } from '../passwords/hasher.js';
import type { Store } from '../store/store.js';
import { AccessTokenCodec } from '../tokens/access-token.js';
import type { Audit } from './audit.js';
import { BearerAuthenticator } from './bearer.js';
import { ClientService } from './clients.js';
import { ClientCredentialsGrant } from './grants/client-credentials.js';
import type { Grant } from './grants/grant.js';
import { PasswordGrant } from './grants/password.js';
import { RefreshTokenGrant } from './grants/refresh-token.js';
import { Introspection } from './introspection.js';
import type { Keyring } from './keys.js';
import { PasswordLogin } from './login.js';
import { FailedLoginTiming } from './login-timing.js';
import { RefreshTokens } from './refresh-tokens.js';
import { RevocationList } from './revocation-list.js';
import { TokenRevocation } from './revocation.js';
import { TokenEndpoint } from './token-endpoint.js';
import { SessionService } from './sessions.js';
import { TokenIssuer } from './token-issuer.js';
import { UserService } from './users.js';

/** What the server is built from; tests pass their own (temp store, manual clock). */
export interface Deps {
  readonly store: Store;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly keys: Keyring;
  readonly audit: Audit;
  readonly limits: LoginLimiter;
  readonly log: Logger;
}

export interface Services {
  readonly audit: Audit;
  readonly users: UserService;
  readonly sessions: SessionService;
  readonly clients: ClientService;
  readonly codec: AccessTokenCodec;
  readonly issuer: TokenIssuer;
  readonly tokenEndpoint: TokenEndpoint;
  readonly bearer: BearerAuthenticator;
  readonly refreshTokens: RefreshTokens;
  readonly revocations: RevocationList;
  readonly revocation: TokenRevocation;
  readonly introspection: Introspection;
}

/** Wires the use cases together; the only place that knows who needs whom. */
export function createServices(config: Config, deps: Deps): Services {
  const { store, clock, hasher, keys, audit, limits } = deps;
  const codec = new AccessTokenCodec(
    { issuer: config.issuer, audience: config.audience, algorithm: config.jwtAlgorithm, ttl: config.accessTokenTtl },
    keys,
  );
  const revocations = new RevocationList(store.revocations, clock, config.keyRefreshInterval);
  revocations.onRevoked((jti) => codec.forget(jti));
  const refreshTokens = new RefreshTokens(config, store, clock, audit, revocations);
  const users = new UserService(store, hasher, clock, audit, refreshTokens, limits);
  const sessions = new SessionService(store, clock, audit, refreshTokens);
  const clients = new ClientService(store, clock, audit, revocations);
  const issuer = new TokenIssuer(config, codec, clock);
  // The kinds of stored hash are learnt at the first failed login, not at start.
  const login = new PasswordLogin(store, hasher, clock, audit, limits, new FailedLoginTiming(store.users, hasher));
  const grants: Grant[] = [new PasswordGrant(login, issuer, audit, config.roleScopes, config.refreshTokens ? refreshTokens : undefined)];
  if (config.refreshTokens) grants.push(new RefreshTokenGrant(refreshTokens, issuer, store, config.roleScopes));
  grants.push(new ClientCredentialsGrant(issuer));
  const tokenEndpoint = new TokenEndpoint(grants, clients);
  const bearer = new BearerAuthenticator(config, codec, store, clock, revocations);
  const revocation = new TokenRevocation(codec, refreshTokens, revocations, audit, clock, config.subject);
  const introspection = new Introspection(config, bearer, refreshTokens, issuer, store);
  return { audit, users, sessions, clients, codec, issuer, tokenEndpoint, bearer, refreshTokens, revocations, revocation, introspection };
}
