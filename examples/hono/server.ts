// An orders API on Hono (Node adapter) that trusts a running Gatehouse.
// Start it with:  npx tsx examples/hono/server.ts
// GATEHOUSE_ISSUER (default http://127.0.0.1:8000) names the Gatehouse; PORT defaults to 8003.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createGuard } from 'gatehouse/hono';

const issuer = process.env['GATEHOUSE_ISSUER'] ?? 'http://127.0.0.1:8000';
const port = Number(process.env['PORT'] ?? 8003);
const orders = new Map<string, string[]>();

// Keys come from the issuer's JWKS, found through its metadata, fetched on the first request.
const { requireScopes } = createGuard({ issuer });
const app = new Hono();

app.get('/hello', (c) => c.json({ hello: 'world' }));

// FastAPI's Depends(get_current_user): any valid access token.
app.get('/me', requireScopes(), (c) => {
  const { sub, username, scopes, clientId } = c.var.auth;
  return c.json({ sub, username, scopes, clientId });
});

// FastAPI's Security(get_current_user, scopes=["items:read"]).
app.get('/items', requireScopes('items:read'), (c) => {
  const { sub } = c.var.auth;
  return c.json({ owner: sub, items: orders.get(sub) ?? [] });
});

app.post('/items', requireScopes('items:write'), async (c) => {
  const { sub } = c.var.auth;
  const body = (await c.req.json().catch(() => ({}))) as { name?: string };
  const name = String(body.name ?? 'item');
  orders.set(sub, [...(orders.get(sub) ?? []), name]);
  return c.json({ owner: sub, name }, 201);
});

serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, () => {
  console.log(`orders API (Hono) on http://127.0.0.1:${port}, trusting ${issuer}`);
});
