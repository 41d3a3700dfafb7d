import { InvalidRequest, InvalidScope } from '../../errors.js';
import { grantScopes, parseScope, scopesForRoles } from '../../tokens/scopes.js';
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
    const user = await this.login.authenticate(username, password, { ip: context.ip, clientId });
    const granted = grantScopes(requested, scopesForRoles(user.roles, this.roleScopes));
    if (requested !== undefined && granted.length === 0) throw new InvalidScope('None of the requested scopes may be granted');
    const access = this.issuer.accessForUser(user, granted, clientId);
    const refreshToken = await this.refreshTokens?.start(user, clientId, granted, access.claims);
    return this.issuer.respond(access, refreshToken);
  }
}
