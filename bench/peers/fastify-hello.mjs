// Contender "hello": bare Fastify 5 with one route, the framework ceiling on this machine.
// Usage: PORT=8101 node bench/peers/fastify-hello.mjs   (listens on 127.0.0.1 only)
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/hello', async () => ({ hello: 'world' }));

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 8101) });
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => app.close().then(() => process.exit(0)));
