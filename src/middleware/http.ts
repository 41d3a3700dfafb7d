/**
 * The few HTTP calls a resource server makes to its issuer (metadata, JWKS, introspection):
 * JSON only, with a deadline and a size cap, so a slow or hostile answer cannot hold
 * requests or memory.
 */

/** The global `fetch`, or one the application passes (proxy, custom agent, tests). */
export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export interface JsonAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed body; undefined for 304 Not Modified. */
  readonly body: unknown;
}

/** Issuer documents are small; anything bigger is refused. */
const MAX_BYTES = 512 * 1024;

export class IssuerHttpError extends Error {
  override readonly name = 'IssuerHttpError';
}

export async function fetchJson(fetch: Fetch, url: string, init: RequestInit, timeoutMs: number): Promise<JsonAnswer> {
  let response: Response;
  try {
    response = await fetch(url, {
      ...init,
      headers: { accept: 'application/json', ...(init.headers as Record<string, string> | undefined) },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'unreachable';
    throw new IssuerHttpError(`${url}: ${reason}`, { cause: error });
  }
  if (response.status === 304) {
    await response.body?.cancel();
    return { status: 304, headers: response.headers, body: undefined };
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new IssuerHttpError(`${url}: answered ${response.status}`);
  }
  const text = await readCapped(response, url);
  try {
    return { status: 200, headers: response.headers, body: JSON.parse(text) as unknown };
  } catch {
    throw new IssuerHttpError(`${url}: answer is not JSON`);
  }
}

async function readCapped(response: Response, url: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_BYTES) {
    await response.body?.cancel();
    throw new IssuerHttpError(`${url}: answer is larger than ${MAX_BYTES} bytes`);
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > MAX_BYTES) throw new IssuerHttpError(`${url}: answer is larger than ${MAX_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Seconds an answer stays fresh by its HTTP cache headers (RFC 9111 §4.2.1): `no-store`
 * and `no-cache` make it stale at once, `max-age` less `Age` wins over `Expires`; an
 * answer saying nothing keeps `fallback`.
 */
export function freshnessOf(headers: Headers, fallback: number): number {
  const cacheControl = headers.get('cache-control')?.toLowerCase() ?? '';
  const directives = cacheControl.split(',').map((d) => d.trim());
  if (directives.some((d) => d === 'no-store' || d === 'no-cache')) return 0;
  const maxAge = directives.find((d) => d.startsWith('max-age='));
  if (maxAge !== undefined) {
    const seconds = Number(maxAge.slice('max-age='.length).replace(/"/g, ''));
    if (Number.isInteger(seconds) && seconds >= 0) {
      const age = Number(headers.get('age') ?? '0');
      return Math.max(0, seconds - (Number.isFinite(age) && age > 0 ? age : 0));
    }
  }
  const expires = headers.get('expires');
  if (expires !== null) {
    const at = Date.parse(expires);
    if (Number.isNaN(at)) return 0; // RFC 9111 §5.3: an invalid Expires means already expired
    const date = Date.parse(headers.get('date') ?? '');
    return Math.max(0, Math.floor((at - (Number.isNaN(date) ? Date.now() : date)) / 1000));
  }
  return fallback;
}
