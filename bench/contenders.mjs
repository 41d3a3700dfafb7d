// The four contenders: how to check they can run, prepare, start, check, and feed them tokens.
// Each runs as its own child process on a free 127.0.0.1 port; its output goes to a log file
// whose tail is printed when it fails to start.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnTracked, freePort, waitReady, stop, tail, HOST, probe } from './processes.mjs';
import { login, harvest, mintPool, inParallel } from './tokens.mjs';

/** The seed's HS256 secret (app.py default), given to the seed and the port explicitly. */
export const SEED_SECRET = '09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7';
const SEED_USER = { username: 'johndoe', password: 'secret' };
const form = (fields) => new URLSearchParams({ grant_type: 'password', ...fields }).toString();

/** Checks, for the HS256 peers, that a real login works and that its token and a locally minted one are accepted alike. */
async function checkHs256Peer(handle, withIat) {
  const { access_token } = await login(handle.port, SEED_USER.username, SEED_USER.password);
  const [minted] = mintPool(1, { sub: SEED_USER.username, secret: SEED_SECRET, withIat });
  for (const token of [access_token, minted]) {
    const status = await probe(handle.port, '/users/me', { authorization: `Bearer ${token}` });
    if (status !== 200) throw new Error(`GET /users/me with a ${token === minted ? 'locally minted' : 'login'} token answered ${status}`);
  }
}

function hs256Tokens(withIat) {
  let offset = 0; // every pool asked for is new: exp values never repeat within a run
  return async (_handle, count) => {
    const pool = mintPool(count, { sub: SEED_USER.username, secret: SEED_SECRET, withIat, offset });
    offset += count;
    return pool;
  };
}

export function defineContenders(ctx) {
  const node = process.execPath;
  const peers = path.join(ctx.root, 'bench', 'peers');
  const seedDir = path.resolve(ctx.root, '..', 'shared', 'reference', 'fastapi_seed');
  const gatehouseBin = path.resolve(ctx.root, process.env.BENCH_GATEHOUSE_BIN ?? 'bin/gatehouse.cjs');
  const gatehouse = { dataDir: path.join(ctx.tmp, 'gatehouse-data'), password: `bench-${randomBytes(12).toString('hex')}` };
  const gatehouseTokens = async (handle, count, maxLogins) => {
    const { tokens, via } = await harvest(handle.port, { username: 'bench', password: gatehouse.password, count, maxLogins });
    if (via === 'logins') ctx.note(`gatehouse: no refresh_token in login answers; ${tokens.length} tokens came from logins`);
    return tokens;
  };
  // Without a port for the commands that do not serve (`user add`): a port of 0 would need an issuer.
  const gatehouseEnv = (port) => ({
    ...process.env,
    ...(port === undefined ? {} : { GATEHOUSE_PORT: String(port) }),
    GATEHOUSE_HOST: HOST,
    GATEHOUSE_DATA_DIR: gatehouse.dataDir,
    GATEHOUSE_LOG_LEVEL: 'warn',
  });

  return [
    {
      id: 'hello',
      label: 'bare Fastify GET /hello',
      precheck: () => null,
      spawnSpec: (port) => ({ command: node, args: [path.join(peers, 'fastify-hello.mjs')], cwd: ctx.root, env: { ...process.env, PORT: String(port) } }),
      readyPath: '/hello',
      mePath: '/hello',
      // Same Authorization headers as the /users/me runs (ignored here), so request size and
      // load-generator work are the same as for the contenders it is compared with.
      tokens: hs256Tokens(true),
    },
    {
      id: 'port',
      label: 'Fastify + @fastify/jwt + bcrypt, hand-written port of the seed',
      precheck: () => null,
      spawnSpec: (port) => ({
        command: node,
        args: [path.join(peers, 'fastify-seed-port.mjs')],
        cwd: ctx.root,
        env: { ...process.env, PORT: String(port), SECRET_KEY: SEED_SECRET },
      }),
      readyPath: '/users/me',
      readyHeaders: () => ({ authorization: `Bearer ${mintPool(1, { sub: 'johndoe', secret: SEED_SECRET, withIat: true })[0]}` }),
      mePath: '/users/me',
      check: (handle) => checkHs256Peer(handle, true),
      tokens: hs256Tokens(true),
      coldTokens: hs256Tokens(true),
      loginBody: form(SEED_USER),
    },
    {
      id: 'seed',
      label: 'FastAPI seed (uvicorn, 1 worker)',
      precheck: () => {
        if (!existsSync(path.join(seedDir, 'app.py'))) return `no seed at ${seedDir}`;
        const probePy = spawnSync('/usr/bin/python3', ['-c', 'import fastapi, uvicorn, jwt, passlib, multipart'], { timeout: 30_000 });
        if (probePy.status !== 0) return `/usr/bin/python3 cannot import fastapi/uvicorn/jwt/passlib/multipart: ${String(probePy.stderr ?? probePy.error).trim().split('\n').pop()}`;
        return null;
      },
      spawnSpec: (port) => ({
        command: '/usr/bin/python3',
        // --no-access-log: the Fastify contenders log nothing per request either.
        args: ['-m', 'uvicorn', 'app:app', '--host', HOST, '--port', String(port), '--no-access-log', '--log-level', 'warning'],
        cwd: seedDir,
        env: { ...process.env, SECRET_KEY: SEED_SECRET, PYTHONDONTWRITEBYTECODE: '1' },
      }),
      readyPath: '/docs',
      mePath: '/users/me',
      check: (handle) => checkHs256Peer(handle, false),
      tokens: hs256Tokens(false),
      coldTokens: hs256Tokens(false),
      loginBody: form(SEED_USER),
    },
    {
      id: 'gatehouse',
      label: 'Gatehouse (node bin/gatehouse.cjs serve)',
      precheck: () => {
        if (!existsSync(gatehouseBin)) return `no ${gatehouseBin}`;
        if (!process.env.BENCH_GATEHOUSE_BIN && !existsSync(path.join(ctx.root, 'dist', 'bundle', 'main.cjs'))) {
          return 'dist/bundle/main.cjs is missing (not built yet: npm run build)';
        }
        return null;
      },
      async prepare() {
        mkdirSync(gatehouse.dataDir, { recursive: true });
        const logFile = path.join(ctx.tmp, 'gatehouse-user-add.log');
        const child = spawnTracked(node, [gatehouseBin, 'user', 'add', 'bench', '--password-stdin'], {
          cwd: ctx.root,
          env: gatehouseEnv(),
          logFile,
          stdin: 'pipe',
        });
        child.stdin.on('error', () => {});
        child.stdin.end(`${gatehouse.password}\n`);
        const timer = setTimeout(() => stop(child), 60_000);
        const { code, signal, error } = await child.exited;
        clearTimeout(timer);
        if (code !== 0) throw new Error(`user add failed (${error?.message ?? `code ${code}, signal ${signal}`}):\n${tail(logFile)}`);
      },
      spawnSpec: (port) => ({ command: node, args: [gatehouseBin, 'serve'], cwd: ctx.root, env: gatehouseEnv(port) }),
      readyPath: '/healthz',
      mePath: '/users/me',
      async check(handle) {
        const { access_token } = await login(handle.port, 'bench', gatehouse.password);
        const status = await probe(handle.port, '/users/me', { authorization: `Bearer ${access_token}` });
        if (status !== 200) throw new Error(`GET /users/me with a fresh login token answered ${status}`);
      },
      // Real tokens from the server: a few logins, then refresh grants along each chain
      // (only logins while Gatehouse issues no refresh tokens: at most 1,000 for the cold pool).
      tokens: (handle, count) => gatehouseTokens(handle, count, count),
      coldTokens: (handle, count) => gatehouseTokens(handle, count, 1000),
      loginBody: form({ username: 'bench', password: gatehouse.password }),
      /** Refresh tokens fresh from logins, one per chain. */
      async refreshHeads(handle, count) {
        const answers = await inParallel(count, 4, () => login(handle.port, 'bench', gatehouse.password));
        if (answers.some((t) => typeof t.refresh_token !== 'string')) throw new Error('login answers carry no refresh_token');
        return answers.map((t) => t.refresh_token);
      },
      supportsRefresh: true,
    },
  ];
}

/** Starts a contender on a free port; resolves { contender, child, port, pid, logFile, startMs }. */
export async function startContender(contender, ctx, label = 'main') {
  const port = await freePort();
  const logFile = path.join(ctx.tmp, `${contender.id}-${label}.log`);
  const { command, args, cwd, env } = contender.spawnSpec(port);
  const t0 = performance.now();
  const child = spawnTracked(command, args, { cwd, env, logFile });
  try {
    const startMs = await waitReady(child, port, contender.readyPath, { t0, headers: contender.readyHeaders?.() });
    return { contender, child, port, pid: child.pid, logFile, startMs };
  } catch (error) {
    await stop(child);
    const log = tail(logFile);
    throw new Error(`${error.message}${log ? `\n--- ${path.basename(logFile)} (tail) ---\n${log}` : ''}`);
  }
}
