import assert from 'node:assert/strict';
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/gatehouse.cjs');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function tempDir(prefix = 'gatehouse-e2e-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts the real CLI (`bin/gatehouse.cjs`) with stdin, stdout and stderr piped, for a test to drive. */
export function spawnCli(args: readonly string[], env: Record<string, string>): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** The exit code and what a spawned CLI wrote to stderr, once it has exited. */
export function cliExit(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

/** Runs the real CLI (`bin/gatehouse.cjs`) to completion. */
export async function runCli(args: readonly string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  const child = spawnCli(args, env);
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exit = cliExit(child);
  child.stdin.end(input ?? '');
  const { code, stderr } = await exit;
  return { code, stdout, stderr };
}

/** What a `--json` command printed: exactly one JSON object on stdout, on one line, and nothing else there. */
export function jsonObjectOf<T extends object>(result: CliResult): T {
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.indexOf('\n'), result.stdout.length - 1, `one line on stdout: ${result.stdout}`);
  const value: unknown = JSON.parse(result.stdout);
  assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), `one JSON object on stdout: ${result.stdout}`);
  return value as T;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly env: Record<string, string>;
  readonly process: ChildProcess;
  /** Output so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `gatehouse serve` as a child process on a free port and waits for /healthz.
 * `prefix`: a command that execs the rest (`taskset -c 0`, say), so the process is still the server.
 * `bin`: another copy of `bin/gatehouse.cjs`.
 */
export async function startServer(
  env: Record<string, string>,
  { prefix = [], bin = BIN }: { prefix?: readonly string[]; bin?: string } = {},
): Promise<RunningServer> {
  const port = await freePort();
  const fullEnv = { GATEHOUSE_HOST: '127.0.0.1', GATEHOUSE_LOG_LEVEL: 'warn', ...env, GATEHOUSE_PORT: String(port) };
  const [command = process.execPath, ...args] = [...prefix, process.execPath, bin, 'serve'];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...fullEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${output}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    env: fullEnv,
    process: child,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

export async function login(url: string, username: string, password: string, extra: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password, ...extra }),
  });
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** `probe` every `everyMs` until `done` holds or 10 s have passed; the last value either way (the caller asserts on it). */
export async function poll<T>(probe: () => T | Promise<T>, done: (value: T) => boolean, everyMs = 200): Promise<T> {
  const deadline = Date.now() + 10_000;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, everyMs));
    value = await probe();
  }
  return value;
}
