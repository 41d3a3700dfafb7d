import { InvalidGrant, InvalidRequest, InvalidScope } from '../../errors.js';
import type { Store } from '../../store/store.js';
import { grantScopes, parseScope, scopesForRoles } from '../../tokens/scopes.js';
import { INVALID_REFRESH_TOKEN, type RefreshTokens } from '../refresh-tokens.js';
import type { TokenIssuer } from '../token-issuer.js';
import type { Grant, GrantContext, TokenResponse } from './grant.js';

/**
 * RFC 6749 §6 with rotation (RFC 9700 §4.14.2). Everything that must not burn the token
 * (client binding, family state, user, scope) is checked first; the store's atomic
 * rotation then settles races: of two concurrent refreshes one wins, the other is reuse.
 */
export class RefreshTokenGrant implements Grant {
  readonly grantType = 'refresh_token';

  constructor(
    private readonly refreshTokens: RefreshTokens,
    private readonly issuer: TokenIssuer,
    private readonly store: Store,
    private readonly roleScopes: Readonly<Record<string, readonly string[]>>,
  ) {}

  async handle(params: Readonly<Record<string, string>>, context: GrantContext): Promise<TokenResponse> {
    const presented = params['refresh_token'];
    if (presented === undefined || presented === '') throw new InvalidRequest('refresh_token is required');
    const requested = parseScope(params['scope']);
    const fields = { ip: context.ip, clientId: context.client.id };

    const found = await this.refreshTokens.find(presented);
    // RFC 6749 §6: the token is bound to the client it was issued to.
    if (!found || found.family.clientId !== context.client.id) throw new InvalidGrant(INVALID_REFRESH_TOKEN);
    if (found.token.usedAt !== null) return this.refreshTokens.reuseDetected(found, fields);
    if (!this.refreshTokens.isLive(found.family)) throw new InvalidGrant(INVALID_REFRESH_TOKEN);
    const user = await this.store.users.findById(found.family.userId);
    if (!user || user.disabled) throw new InvalidGrant(INVALID_REFRESH_TOKEN);

    // The family keeps the scope granted at login; the user's roles may have lost some since.
    const allowed = grantScopes(found.family.scopes, scopesForRoles(user.roles, this.roleScopes));
    if (requested !== undefined && requested.some((s) => !found.family.scopes.includes(s))) {
      throw new InvalidScope('A refresh may narrow the granted scope, never widen it');
    }
    const granted = grantScopes(requested, allowed);
    if (requested !== undefined && granted.length === 0) throw new InvalidScope('None of the requested scopes may be granted');

    const access = this.issuer.accessForUser(user, granted, context.client.id);
    const next = await this.refreshTokens.rotate(found, access.claims, fields);
    return this.issuer.respond(access, next);
  }
}
