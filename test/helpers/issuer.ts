import { login, removeDir, runCli, startServer, tempDir, type RunningServer } from './server.js';

/** The password every user of a test issuer has. */
export const PASSWORD = 'correct horse battery staple';

/** Roles of a test issuer: `reader` may get `items:read`, `writer` also `items:write`. */
const ROLE_SCOPES = 'user=me;reader=me items:read;writer=me items:read items:write';

export interface Issuer {
  readonly url: string;
  readonly server: RunningServer;
  readonly env: Record<string, string>;
  /** An access token of `username` (`alice` reads, `wendy` also writes), for `scope` when given. */
  token(username: 'alice' | 'wendy', scope?: string): Promise<string>;
  /** `gatehouse keys rotate` on the issuer's data dir; resolves once the running server signs with the new key (published first). */
  rotate(): Promise<string>;
  /** Stops the server process, leaving its data. */
  stop(): Promise<void>;
  /** Stops the server and removes its data. */
  close(): Promise<void>;
}

/**
 * A real Gatehouse (`bin/gatehouse.cjs serve`) with two users, for resource-server tests.
 * Keys are reloaded every second, so a rotation reaches it quickly.
 */
export async function startIssuer(extraEnv: Record<string, string> = {}): Promise<Issuer> {
  const dir = tempDir('gatehouse-issuer-');
  const env = {
    GATEHOUSE_DATA_DIR: dir,
    GATEHOUSE_ROLE_SCOPES: ROLE_SCOPES,
    GATEHOUSE_KEY_REFRESH_INTERVAL: '1s',
    GATEHOUSE_LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  for (const [username, role] of [
    ['alice', 'reader'],
    ['wendy', 'writer'],
  ] as const) {
    const added = await runCli(['user', 'add', username, '--role', role, '--password-stdin'], env, `${PASSWORD}\n`);
    if (added.code !== 0) throw new Error(`user add ${username}: ${added.stderr}`);
  }
  const server = await startServer(env);
  const token: Issuer['token'] = async (username, scope) => {
    const res = await login(server.url, username, PASSWORD, scope === undefined ? {} : { scope });
    const body = (await res.json()) as { access_token?: string };
    if (res.status !== 200 || body.access_token === undefined) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(body)}`);
    return body.access_token;
  };
  return {
    url: server.url,
    server,
    env,
    token,
    async rotate() {
      const rotated = await runCli(['keys', 'rotate'], env);
      if (rotated.code !== 0) throw new Error(`keys rotate: ${rotated.stderr}`);
      const kid = rotated.stdout.trim();
      const deadline = Date.now() + 15_000;
      for (;;) {
        if (kidOf(await token('alice')) === kid) return kid;
        if (Date.now() > deadline) throw new Error('the server did not start signing with the rotated key');
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    stop: () => server.stop(),
    async close() {
      await server.stop();
      removeDir(dir);
    },
  };
}

/** The `kid` in a compact JWS header. */
export function kidOf(token: string): string {
  const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { kid?: string };
  return header.kid ?? '';
}

/** The claims of a compact JWS, unverified (tests only). */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
}
