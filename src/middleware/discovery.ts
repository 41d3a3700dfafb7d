import { fetchJson, IssuerHttpError, type Fetch } from './http.js';

/** The parts of RFC 8414 authorization-server metadata a resource server uses. */
export interface IssuerMetadata {
  readonly issuer: string;
  readonly jwks_uri: string;
  readonly introspection_endpoint?: string;
}

/**
 * Reads `/.well-known/oauth-authorization-server` once, on first need. A failed read is
 * forgotten, so the next need tries again; a good one is kept for the life of the process.
 */
export class IssuerDiscovery {
  private pending: Promise<IssuerMetadata> | undefined;

  constructor(
    private readonly issuer: string,
    private readonly fetch: Fetch,
    private readonly timeoutMs: number,
  ) {}

  metadata(): Promise<IssuerMetadata> {
    this.pending ??= this.load().catch((error: unknown) => {
      this.pending = undefined;
      throw error;
    });
    return this.pending;
  }

  private async load(): Promise<IssuerMetadata> {
    // RFC 8414 §3.1: the well-known suffix goes between the host and the issuer's path.
    const issuerUrl = new URL(this.issuer);
    const url = `${issuerUrl.origin}/.well-known/oauth-authorization-server${issuerUrl.pathname.replace(/\/$/, '')}`;
    const { body } = await fetchJson(this.fetch, url, {}, this.timeoutMs);
    if (typeof body !== 'object' || body === null) throw new IssuerHttpError(`${url}: metadata is not a JSON object`);
    const { issuer, jwks_uri: jwksUri, introspection_endpoint: introspection } = body as Record<string, unknown>;
    // RFC 8414 §3.3: the metadata must name the very issuer it was fetched for.
    if (issuer !== this.issuer) throw new IssuerHttpError(`${url}: metadata names issuer ${JSON.stringify(issuer)}, not ${this.issuer}`);
    if (!isHttpUrl(jwksUri)) throw new IssuerHttpError(`${url}: metadata has no usable jwks_uri`);
    return {
      issuer,
      jwks_uri: jwksUri,
      ...(isHttpUrl(introspection) ? { introspection_endpoint: introspection } : {}),
    };
  }
}

export function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
