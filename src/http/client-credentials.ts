import { InvalidClient } from '../errors.js';
import type { ClientCredentials } from '../services/clients.js';

/**
 * Client credentials from `Authorization: Basic` (form-urlencoded before base64, RFC 6749
 * §2.3.1) or from the body (client_secret_post). Empty Basic credentials — Swagger UI
 * sends `Basic Og==` — mean no client authentication; an id with an empty secret names a
 * public client, as a client_id alone in the body does. Using both methods at once is refused.
 */
export function clientCredentials(authorization: string | undefined, params: Readonly<Record<string, string>>): ClientCredentials | undefined {
  if (authorization !== undefined && /^basic /i.test(authorization)) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new InvalidClient('Malformed Basic credentials');
    const id = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    if (id !== '') {
      if (params['client_secret'] !== undefined) throw new InvalidClient('Use one client authentication method, not two');
      if (params['client_id'] !== undefined && params['client_id'] !== id) throw new InvalidClient('client_id does not match the Basic credentials');
      // `id:` with no secret is how Swagger UI and other clients name a public client.
      return secret === '' ? { clientId: id, clientSecret: undefined, method: 'none' } : { clientId: id, clientSecret: secret, method: 'client_secret_basic' };
    }
    if (secret !== '') throw new InvalidClient('Malformed Basic credentials');
  }
  const id = params['client_id'];
  if (id === undefined || id === '') return undefined;
  const secret = params['client_secret'];
  return secret === undefined || secret === ''
    ? { clientId: id, clientSecret: undefined, method: 'none' }
    : { clientId: id, clientSecret: secret, method: 'client_secret_post' };
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw new InvalidClient('Malformed Basic credentials');
  }
}
