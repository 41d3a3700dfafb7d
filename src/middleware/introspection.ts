import { fetchJson, IssuerHttpError, type Fetch } from './http.js';

/** RFC 7662 introspection: the issuer is asked about every token not answered from the short cache. */
export interface IntrospectionOptions {
  /** The introspection endpoint; default: `introspection_endpoint` from the issuer's metadata. */
  readonly endpoint?: string;
  /** This resource server's client credentials at the issuer (RFC 7662 §2.1: the caller must authenticate). */
  readonly clientId: string;
  readonly clientSecret: string;
  /** Seconds an answer, active or not, is reused; default 10. Never past the token's own `exp`. */
  readonly cacheTtl?: number;
}

/** RFC 7662 §2.2 answer for an active token; `active: false` comes back as undefined. */
export type IntrospectionAnswer = Readonly<Record<string, unknown>>;

export class Introspector {
  private readonly authorization: string;
  /** Concurrent requests with the same new token share one call to the issuer. */
  private readonly pending = new Map<string, Promise<IntrospectionAnswer | undefined>>();

  constructor(
    private readonly endpoint: () => Promise<string>,
    clientId: string,
    clientSecret: string,
    private readonly fetch: Fetch,
    private readonly timeoutMs: number,
  ) {
    // RFC 6749 §2.3.1: client_secret_basic credentials are form-urlencoded before base64.
    const credentials = `${formEncode(clientId)}:${formEncode(clientSecret)}`;
    this.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }

  introspect(token: string): Promise<IntrospectionAnswer | undefined> {
    let call = this.pending.get(token);
    if (call === undefined) {
      call = this.call(token).finally(() => this.pending.delete(token));
      this.pending.set(token, call);
    }
    return call;
  }

  private async call(token: string): Promise<IntrospectionAnswer | undefined> {
    const url = await this.endpoint();
    const { body } = await fetchJson(
      this.fetch,
      url,
      {
        method: 'POST',
        headers: { authorization: this.authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      },
      this.timeoutMs,
    );
    if (typeof body !== 'object' || body === null || typeof (body as { active?: unknown }).active !== 'boolean') {
      throw new IssuerHttpError(`${url}: not an RFC 7662 introspection answer`);
    }
    return (body as { active: boolean }).active ? (body as IntrospectionAnswer) : undefined;
  }
}

/** application/x-www-form-urlencoded, as URLSearchParams writes it. */
function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}
