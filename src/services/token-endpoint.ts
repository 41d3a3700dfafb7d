import { UnsupportedGrantType } from '../errors.js';
import type { Grant, GrantContext, TokenResponse } from './grants/grant.js';

/** `/token`: dispatches on `grant_type` to the registered grants. */
export class TokenEndpoint {
  private readonly grants: ReadonlyMap<string, Grant>;

  constructor(grants: readonly Grant[]) {
    this.grants = new Map(grants.map((g) => [g.grantType, g]));
  }

  get grantTypes(): readonly string[] {
    return [...this.grants.keys()];
  }

  exchange(params: Readonly<Record<string, string>>, context: GrantContext): Promise<TokenResponse> {
    // FastAPI's OAuth2PasswordRequestForm makes grant_type optional; absent means password.
    const grantType = params['grant_type'] || 'password';
    const grant = this.grants.get(grantType);
    if (!grant) return Promise.reject(new UnsupportedGrantType(grantType));
    return grant.handle(params, context);
  }
}
