import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { usableCores } from '../../bin/thread-pool.cjs';
import { Unavailable } from '../../src/errors.js';
import { HashQueue } from '../../src/passwords/hash-queue.js';

function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('hash queue', () => {
  it('runs at most `concurrency` tasks at once, the rest in arrival order', async () => {
    const queue = new HashQueue({ concurrency: 2, maxWaiting: 10 });
    const gates = Array.from({ length: 5 }, gate);
    const started: number[] = [];
    const done = gates.map((g, i) =>
      queue.run(async () => {
        started.push(i);
        await g.promise;
        return i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1]);
    assert.deepEqual(queue.depth, { running: 2, waiting: 3 });
    gates[1]?.open();
    await done[1];
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1, 2]);
    for (const g of gates) g.open();
    assert.deepEqual(await Promise.all(done), [0, 1, 2, 3, 4]);
    assert.deepEqual(queue.depth, { running: 0, waiting: 0 });
  });

  it('takes its share of the cores when several server processes share them (GATEHOUSE_WORKERS)', async () => {
    // As many processes as cores: each gets one core, so two hashes at once (one in reserve)
    // and 64 waiting, instead of the whole machine's figures in every process.
    const queue = new HashQueue({}, usableCores());
    const g = gate();
    const runs = Array.from({ length: 70 }, () => queue.run(() => g.promise));
    const shed = Promise.allSettled(runs.slice(66));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(queue.depth, { running: 2, waiting: 64 });
    assert.equal(queue.threads, 1);
    for (const outcome of await shed) assert.ok(outcome.status === 'rejected' && outcome.reason instanceof Unavailable);
    g.open();
    await Promise.all(runs.slice(0, 66));
  });

  it('sizes itself by the cores it may use, not the whole host (a container limited to 2 CPUs)', async () => {
    const saved = process.env['UV_THREADPOOL_SIZE'];
    process.env['UV_THREADPOOL_SIZE'] = '64';
    try {
      // usableCores() reads the cgroup's CPU limit, which os.availableParallelism() does not.
      const queue = new HashQueue({}, 1, 2);
      const g = gate();
      const runs = Array.from({ length: 140 }, () => queue.run(() => g.promise));
      const shed = Promise.allSettled(runs.slice(3 + 128));
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(queue.depth, { running: 3, waiting: 128 });
      // Three handed over, computed on one thread per core; the third waits in the engine.
      assert.equal(queue.threads, 2);
      for (const outcome of await shed) assert.ok(outcome.status === 'rejected' && outcome.reason instanceof Unavailable);
      g.open();
      await Promise.all(runs.slice(0, 3 + 128));
    } finally {
      if (saved === undefined) delete process.env['UV_THREADPOOL_SIZE'];
      else process.env['UV_THREADPOOL_SIZE'] = saved;
    }
  });

  it('sheds work past the waiting limit with Unavailable, and recovers', async () => {
    const queue = new HashQueue({ concurrency: 1, maxWaiting: 1 });
    const g = gate();
    const first = queue.run(() => g.promise);
    const second = queue.run(() => Promise.resolve('second'));
    await assert.rejects(queue.run(() => Promise.resolve('third')), (e: unknown) => e instanceof Unavailable && e.retryAfter === 1);
    g.open();
    await first;
    assert.equal(await second, 'second');
    assert.equal(await queue.run(() => Promise.resolve('later')), 'later');
  });

  it('frees the slot when a task fails', async () => {
    const queue = new HashQueue({ concurrency: 1, maxWaiting: 0 });
    await assert.rejects(queue.run(() => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await queue.run(() => Promise.resolve(1)), 1);
  });

  it('runs one more hash than the cores by default, leaving a thread-pool thread free', async () => {
    const saved = process.env['UV_THREADPOOL_SIZE'];
    const runningAtOnce = async (): Promise<number> => {
      const queue = new HashQueue();
      const g = gate();
      const all = Array.from({ length: 100 }, () => queue.run(() => g.promise));
      await new Promise((r) => setImmediate(r));
      const running = queue.depth.running;
      g.open();
      await Promise.all(all);
      return running;
    };
    try {
      process.env['UV_THREADPOOL_SIZE'] = '64';
      assert.equal(await runningAtOnce(), usableCores() + 1);
      process.env['UV_THREADPOOL_SIZE'] = '2';
      assert.equal(await runningAtOnce(), 1);
    } finally {
      if (saved === undefined) delete process.env['UV_THREADPOOL_SIZE'];
      else process.env['UV_THREADPOOL_SIZE'] = saved;
    }
  });
});
