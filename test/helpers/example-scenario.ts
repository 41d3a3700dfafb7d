import assert from 'node:assert/strict';
import { claimsOf, type Issuer } from './issuer.js';

function call(url: string, token?: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(init.headers as Record<string, string>) } });
}

/** What every example API must do: the orders API of examples/README.md, guarded by a running Gatehouse. */
export async function exampleScenario(api: string, issuer: Issuer): Promise<void> {
  const [alice, wendy] = await Promise.all([issuer.token('alice'), issuer.token('wendy')]);
  assert.deepEqual(await (await call(`${api}/hello`)).json(), { hello: 'world' });

  const anonymous = await call(`${api}/items`);
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
  assert.deepEqual(await anonymous.json(), { detail: 'Not authenticated' });

  const garbage = await call(`${api}/items`, 'not-a-token');
  assert.equal(garbage.status, 401);
  assert.equal(garbage.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
  assert.deepEqual(await garbage.json(), { detail: 'Could not validate credentials' });

  const me = await call(`${api}/me`, alice);
  assert.equal(me.status, 200);
  const body = (await me.json()) as { sub: string; username: string; scopes: string[] };
  assert.equal(body.sub, claimsOf(alice)['sub']);
  assert.equal(body.username, 'alice');
  assert.deepEqual([...body.scopes].sort(), ['items:read', 'me']);

  assert.deepEqual(await (await call(`${api}/items`, alice)).json(), { owner: body.sub, items: [] });
  const refused = await call(`${api}/items`, alice, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"tea"}' });
  assert.equal(refused.status, 403);
  assert.equal(refused.headers.get('www-authenticate'), 'Bearer error="insufficient_scope", scope="items:write"');
  assert.deepEqual(await refused.json(), { detail: 'Not enough permissions' });

  const placed = await call(`${api}/items`, wendy, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"tea"}' });
  assert.equal(placed.status, 201);
  const owner = claimsOf(wendy)['sub'];
  assert.deepEqual(await placed.json(), { owner, name: 'tea' });
  assert.deepEqual(await (await call(`${api}/items`, wendy)).json(), { owner, items: ['tea'] });
}
