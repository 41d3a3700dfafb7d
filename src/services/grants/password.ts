import { InvalidRequest, InvalidScope } from '../../errors.js';
import { grantScopes, parseScope, scopesForRoles } from '../../tokens/scopes.js';
import type { Audit } from '../audit.js';
import type { PasswordLogin } from '../login.js';
import type { RefreshTokens } from '../refresh-tokens.js';
import type { TokenIssuer } from '../token-issuer.js';
import type { Grant, GrantContext, TokenResponse } from './grant.js';

/** RFC 6749 §4.3: resource owner password credentials, the seed's `/token`. Each login starts a refresh family. */
export class PasswordGrant implements Grant {
  readonly grantType = 'password';

  constructor(
    private readonly login: PasswordLogin,
    private readonly issuer: TokenIssuer,
    private readonly audit: Audit,
    private readonly roleScopes: Readonly<Record<string, readonly string[]>>,
    /** Undefined when GATEHOUSE_REFRESH_TOKENS is off. */
    private readonly refreshTokens: RefreshTokens | undefined,
  ) {}

  async handle(params: Readonly<Record<string, string>>, context: GrantContext): Promise<TokenResponse> {
    const { username, password } = params;
    if (username === undefined || username === '' || password === undefined) {
      throw new InvalidRequest('username and password are required');
    }
    const requested = parseScope(params['scope']);
    const clientId = context.client.id;
    const { user, event } = await this.login.authenticate(username, password, { ip: context.ip, clientId });
    const granted = grantScopes(requested, scopesForRoles(user.roles, this.roleScopes));
    if (requested !== undefined && granted.length === 0) {
      void this.audit.write(event); // the password was right; only the scope is refused
      throw new InvalidScope('None of the requested scopes may be granted');
    }
    const access = this.issuer.accessForUser(user, granted, clientId);
    if (this.refreshTokens === undefined) {
      void this.audit.write(event);
      return this.issuer.respond(access);
    }
    // The login's audit event is written in the transaction that starts its refresh family.
    return this.issuer.respond(access, await this.refreshTokens.start(user, clientId, granted, access.claims, event));
  }
}
