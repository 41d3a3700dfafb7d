import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from 'pino';
import type { PasswordHasher } from '../passwords/hasher.js';
import type { Store } from '../store/store.js';
import { AccessTokenCodec } from '../tokens/access-token.js';
import type { Audit } from './audit.js';
import { BearerAuthenticator } from './bearer.js';
import { PasswordGrant } from './grants/password.js';
import type { Keyring } from './keys.js';
import { PasswordLogin } from './login.js';
import { TokenEndpoint } from './token-endpoint.js';
import { TokenIssuer } from './token-issuer.js';
import { UserService } from './users.js';

/** What the server is built from; tests pass their own (temp store, manual clock). */
export interface Deps {
  readonly store: Store;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly keys: Keyring;
  readonly audit: Audit;
  readonly log: Logger;
}

export interface Services {
  readonly audit: Audit;
  readonly users: UserService;
  readonly codec: AccessTokenCodec;
  readonly issuer: TokenIssuer;
  readonly tokenEndpoint: TokenEndpoint;
  readonly bearer: BearerAuthenticator;
}

/** Wires the use cases together; the only place that knows who needs whom. */
export function createServices(config: Config, deps: Deps): Services {
  const { store, clock, hasher, keys, audit } = deps;
  const users = new UserService(store, hasher, clock, audit);
  const codec = new AccessTokenCodec(
    { issuer: config.issuer, audience: config.audience, algorithm: config.jwtAlgorithm, ttl: config.accessTokenTtl },
    keys,
  );
  const issuer = new TokenIssuer(config, codec, clock);
  const login = new PasswordLogin(store, hasher, clock, audit);
  const tokenEndpoint = new TokenEndpoint([new PasswordGrant(login, issuer, config.roleScopes)]);
  const bearer = new BearerAuthenticator(config, codec, store, clock);
  return { audit, users, codec, issuer, tokenEndpoint, bearer };
}
