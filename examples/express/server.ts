// An orders API on Express that trusts a running Gatehouse.
// Start it with:  npx tsx examples/express/server.ts
// GATEHOUSE_ISSUER (default http://127.0.0.1:8000) names the Gatehouse; PORT defaults to 8002.
import express from 'express';
import { createGuard, principalOf } from 'gatehouse/express';

const issuer = process.env['GATEHOUSE_ISSUER'] ?? 'http://127.0.0.1:8000';
const port = Number(process.env['PORT'] ?? 8002);
const orders = new Map<string, string[]>();

// Keys come from the issuer's JWKS, found through its metadata, fetched on the first request.
const { requireScopes } = createGuard({ issuer });
const app = express();
app.use(express.json());

app.get('/hello', (_req, res) => {
  res.json({ hello: 'world' });
});

// FastAPI's Depends(get_current_user): any valid access token.
app.get('/me', requireScopes(), (req, res) => {
  const { sub, username, scopes, clientId } = principalOf(req);
  res.json({ sub, username, scopes, clientId });
});

// FastAPI's Security(get_current_user, scopes=["items:read"]).
app.get('/items', requireScopes('items:read'), (req, res) => {
  const { sub } = principalOf(req);
  res.json({ owner: sub, items: orders.get(sub) ?? [] });
});

app.post('/items', requireScopes('items:write'), (req, res) => {
  const { sub } = principalOf(req);
  const name = String((req.body as { name?: string } | undefined)?.name ?? 'item');
  orders.set(sub, [...(orders.get(sub) ?? []), name]);
  res.status(201).json({ owner: sub, name });
});

app.listen(port, '127.0.0.1', () => {
  console.log(`orders API (Express) on http://127.0.0.1:${port}, trusting ${issuer}`);
});
