import { InvalidClient, InvalidScope, UnauthorizedClient } from '../../errors.js';
import { grantScopes, parseScope } from '../../tokens/scopes.js';
import type { TokenIssuer } from '../token-issuer.js';
import type { Grant, GrantContext, TokenResponse } from './grant.js';

/** RFC 6749 §4.4: a confidential client acting for itself. No refresh token (§4.4.3); scopes limited to the client's. */
export class ClientCredentialsGrant implements Grant {
  readonly grantType = 'client_credentials';

  constructor(private readonly issuer: TokenIssuer) {}

  handle(params: Readonly<Record<string, string>>, context: GrantContext): Promise<TokenResponse> {
    const { client } = context;
    // §4.4.2: the client must authenticate; a public client cannot use this grant.
    if (!client.identified) return Promise.reject(new InvalidClient('client_credentials needs client authentication'));
    if (!client.confidential) return Promise.reject(new UnauthorizedClient('A public client cannot use client_credentials'));
    const requested = parseScope(params['scope']);
    const granted = grantScopes(requested, client.scopes);
    if (requested !== undefined && granted.length === 0) return Promise.reject(new InvalidScope('None of the requested scopes may be granted'));
    return Promise.resolve(this.issuer.respond(this.issuer.accessForClient(client.id, granted)));
  }
}
