import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { poll, removeDir, startServer, tempDir } from '../helpers/server.js';

interface Start {
  readonly threadPool: number;
  readonly hashesAtOnce: number;
  /** Threads of the server process once it answers: V8's, libuv's pool, the main one. */
  readonly threads: number;
  /** Pool threads the server says it made SCHED_BATCH, and the threads that are. */
  readonly batchThreads: number;
  readonly threadsInBatch: number;
  /** The main thread's (the event loop's) scheduling policy. */
  readonly mainPolicy: number;
}

const SCHED_BATCH = 3;

/** A thread's scheduling policy: field 41 of /proc/PID/task/TID/stat. */
function policy(pid: number, tid: string | number): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
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
    const { threadPool, hashesAtOnce, batchThreads } = JSON.parse(line) as { threadPool: number; hashesAtOnce: number; batchThreads: number };
    const pid = server.process.pid!;
    const tids = readdirSync(`/proc/${pid}/task`);
    return {
      threadPool,
      hashesAtOnce,
      batchThreads,
      threads: tids.length,
      threadsInBatch: tids.filter((tid) => policy(pid, tid) === SCHED_BATCH).length,
      mainPolicy: policy(pid, pid),
    };
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

  it('has its pool threads, and no other, yield to the event loop (SCHED_BATCH)', async () => {
    const start = await startOnOneCore({ UV_THREADPOOL_SIZE: '5' });
    assert.equal(start.batchThreads, 5);
    assert.equal(start.threadsInBatch, 5);
    assert.equal(start.mainPolicy, 0);
  });
});
