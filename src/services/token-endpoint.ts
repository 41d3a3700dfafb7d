import { UnsupportedGrantType } from '../errors.js';
import type { ClientCredentials, ClientService } from './clients.js';
import type { Grant, TokenResponse } from './grants/grant.js';

/** `/token`: authenticates the client, then dispatches on `grant_type` to the registered grants. */
export class TokenEndpoint {
  private readonly grants: ReadonlyMap<string, Grant>;

  constructor(
    grants: readonly Grant[],
    private readonly clients: ClientService,
  ) {
    this.grants = new Map(grants.map((g) => [g.grantType, g]));
  }

  get grantTypes(): readonly string[] {
    return [...this.grants.keys()];
  }

  async exchange(
    params: Readonly<Record<string, string>>,
    request: { readonly ip: string | null; readonly credentials: ClientCredentials | undefined },
  ): Promise<TokenResponse> {
    // FastAPI's OAuth2PasswordRequestForm makes grant_type optional; absent means password.
    const grantType = params['grant_type'] || 'password';
    const grant = this.grants.get(grantType);
    if (!grant) throw new UnsupportedGrantType(grantType);
    const client = await this.clients.authenticate(request.credentials, request.ip);
    return grant.handle(params, { ip: request.ip, client });
  }
}
