import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from './server.js';

/** Debian's interpreter, where apt installs python3-fastapi and friends. */
export const PYTHON = '/usr/bin/python3';

/** Why Python tests cannot run here, or undefined when they can. */
export function pythonMissing(modules: readonly string[]): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} is not installed`;
  const probe = spawnSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : `${PYTHON} cannot import ${modules.join(', ')} (apt-get install python3-fastapi python3-uvicorn python3-jwt …)`;
}

export interface PythonServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** Runs `uvicorn APP` in `cwd` on a free port and waits until it answers. */
export async function startUvicorn(cwd: string, app: string, env: Record<string, string>, probePath = '/docs'): Promise<PythonServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(PYTHON, ['-m', 'uvicorn', app, '--host', '127.0.0.1', '--port', String(port)], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`uvicorn exited: ${output}`);
    try {
      await fetch(`${url}${probePath}`);
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`uvicorn did not start: ${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
