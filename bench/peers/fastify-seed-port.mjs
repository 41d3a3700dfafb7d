// Contender "port": the FastAPI seed (shared/reference/fastapi_seed/app.py) ported by hand to
// Fastify + @fastify/jwt + bcrypt, the way a user would write it. Same users, same secret,
// HS256 {sub, exp} tokens for 30 minutes, same answers and status codes.
// Usage: PORT=8102 node bench/peers/fastify-seed-port.mjs   (listens on 127.0.0.1 only)
import Fastify from 'fastify';
import fastifyJwt from '@fastify/jwt';
import bcrypt from 'bcrypt';

const SECRET_KEY = process.env.SECRET_KEY ?? '09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7';

const users = {
  johndoe: {
    username: 'johndoe',
    full_name: 'John Doe',
    email: 'johndoe@example.com',
    hashed_password: '$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW',
    disabled: false,
  },
  alice: {
    username: 'alice',
    full_name: 'Alice Chains',
    email: 'alicechains@example.com',
    hashed_password: '$2b$12$EHtN8VC2XK3rVqhUIMWWk.6YicviIsZmdmsvjoKwtWY51W1BEsIhq',
    disabled: true,
  },
};

const app = Fastify({ logger: false });
app.register(fastifyJwt, { secret: SECRET_KEY, sign: { algorithm: 'HS256', expiresIn: '30m' } });
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => {
  done(null, Object.fromEntries(new URLSearchParams(body)));
});

const publicUser = ({ hashed_password, ...user }) => user;
const unauthorized = (reply, detail) => reply.code(401).header('WWW-Authenticate', 'Bearer').send({ detail });

app.post('/token', async (request, reply) => {
  const { username, password } = request.body ?? {};
  const user = typeof username === 'string' ? users[username] : undefined;
  if (!user || typeof password !== 'string' || !(await bcrypt.compare(password, user.hashed_password))) {
    return unauthorized(reply, 'Incorrect username or password');
  }
  return { access_token: app.jwt.sign({ sub: user.username }), token_type: 'bearer' };
});

async function currentActiveUser(request, reply) {
  let payload;
  try {
    payload = await request.jwtVerify();
  } catch {
    return unauthorized(reply, 'Could not validate credentials');
  }
  const user = typeof payload.sub === 'string' ? users[payload.sub] : undefined;
  if (!user) return unauthorized(reply, 'Could not validate credentials');
  if (user.disabled) return reply.code(400).send({ detail: 'Inactive user' });
  request.user = user;
}

app.get('/users/me', { preHandler: currentActiveUser }, async (request) => publicUser(request.user));
app.get('/users/me/items/', { preHandler: currentActiveUser }, async (request) => [
  { item_id: 'Foo', owner: request.user.username },
]);

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 8102) });
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => app.close().then(() => process.exit(0)));
