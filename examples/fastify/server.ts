// An orders API on Fastify that trusts a running Gatehouse.
// Start it with:  npx tsx examples/fastify/server.ts
// GATEHOUSE_ISSUER (default http://127.0.0.1:8000) names the Gatehouse; PORT defaults to 8001.
import Fastify from 'fastify';
import { gatehouse, principalOf, requireScopes } from 'gatehouse/fastify';

const issuer = process.env['GATEHOUSE_ISSUER'] ?? 'http://127.0.0.1:8000';
const port = Number(process.env['PORT'] ?? 8001);
const orders = new Map<string, string[]>();

const app = Fastify({ logger: { level: 'warn' } });
// Keys come from the issuer's JWKS, found through its metadata, fetched on the first request.
await app.register(gatehouse, { issuer });

app.get('/hello', async () => ({ hello: 'world' }));

// FastAPI's Depends(get_current_user): any valid access token.
app.get('/me', { preHandler: requireScopes() }, async (request) => {
  const { sub, username, scopes, clientId } = principalOf(request);
  return { sub, username, scopes, clientId };
});

// FastAPI's Security(get_current_user, scopes=["items:read"]).
app.get('/items', { preHandler: requireScopes('items:read') }, async (request) => {
  const { sub } = principalOf(request);
  return { owner: sub, items: orders.get(sub) ?? [] };
});

app.post<{ Body: { name?: string } }>('/items', { preHandler: requireScopes('items:write') }, async (request, reply) => {
  const { sub } = principalOf(request);
  const name = String(request.body?.name ?? 'item');
  orders.set(sub, [...(orders.get(sub) ?? []), name]);
  return reply.code(201).send({ owner: sub, name });
});

await app.listen({ host: '127.0.0.1', port });
console.log(`orders API (Fastify) on http://127.0.0.1:${port}, trusting ${issuer}`);
