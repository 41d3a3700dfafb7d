import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { poll, removeDir, startServer, tempDir } from '../helpers/server.js';

interface Start {
  readonly threadPool: number;
  readonly hashesAtOnce: number;
  /** Threads of the server process once it answers: V8's, libuv's pool, the main one. */
  readonly threads: number;
}

/** `gatehouse serve` on one core (taskset): what it says of its hashing at start, and its thread count. */
async function startOnOneCore(env: Record<string, string>): Promise<Start> {
  const dir = tempDir();
  const server = await startServer({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_LOG_LEVEL: 'info', ...env }, { prefix: ['taskset', '-c', '0'] });
  try {
    const line = await poll(
      () => server.output().split('\n').find((l) => l.includes('"hashesAtOnce"')),
      (found) => found !== undefined,
      50,
    );
    assert.ok(line, `no line about password hashes in:\n${server.output()}`);
    const { threadPool, hashesAtOnce } = JSON.parse(line) as { threadPool: number; hashesAtOnce: number };
    return { threadPool, hashesAtOnce, threads: readdirSync(`/proc/${server.process.pid}/task`).length };
  } finally {
    await server.stop();
    removeDir(dir);
  }
}

describe("libuv's thread pool of the server", () => {
  it('has a thread for each core and two more unless UV_THREADPOOL_SIZE is set, which it keeps', async () => {
    const byDefault = await startOnOneCore({});
    // One core: libuv's own default would be 4 threads.
    assert.equal(byDefault.threadPool, 3);
    assert.equal(byDefault.hashesAtOnce, 2);

    const given = await startOnOneCore({ UV_THREADPOOL_SIZE: '7' });
    assert.equal(given.threadPool, 7);
    assert.equal(given.hashesAtOnce, 2);
    // The pool really started at those sizes: had it started before the size was set (at
    // libuv's default of 4 threads), the two would have the same number of threads.
    assert.equal(given.threads - byDefault.threads, 4);
  });
});
