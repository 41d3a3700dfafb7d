import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort, ROOT } from './server.js';

export interface RunningExample {
  readonly url: string;
  output(): string;
  stop(): Promise<void>;
}

/** Starts an example by its documented command, with GATEHOUSE_ISSUER and PORT set, and waits for GET /hello. */
export async function startExample(command: string, args: readonly string[], env: Record<string, string>): Promise<RunningExample> {
  const port = await freePort();
  const child: ChildProcess = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}: ${output}`);
    try {
      if ((await fetch(`${url}/hello`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${args.join(' ')} did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

export const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
export const PYTHON = '/usr/bin/python3';

/**
 * Why the FastAPI example cannot run here, or undefined when it can: /usr/bin/python3 must
 * import fastapi, uvicorn and PyJWT's PyJWKClient with cryptography (Debian packages
 * python3-fastapi python3-uvicorn python3-jwt python3-cryptography).
 */
export function pythonMissing(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import fastapi, uvicorn, cryptography; from jwt import PyJWKClient'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} is not installed (apt-get install python3-fastapi python3-uvicorn python3-jwt python3-cryptography)`;
  if (probe.status !== 0) {
    const last = probe.stderr.trim().split('\n').at(-1) ?? 'import failed';
    return `${PYTHON} lacks a module (${last}); apt-get install python3-fastapi python3-uvicorn python3-jwt python3-cryptography`;
  }
  return undefined;
}
