import type { Client } from '../clients.js';

export interface GrantContext {
  readonly ip: string | null;
  /** The authenticated client; the built-in public client when the request named none. */
  readonly client: Client;
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
