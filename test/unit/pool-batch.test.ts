import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadNativeArgon2, type NativeArgon2 } from '../../src/passwords/argon2-native.js';
import { threadPoolSize, yieldPoolToEventLoop } from '../../src/passwords/thread-pool.js';

const SCHED_BATCH = 3;

/** Each thread of this process's scheduling policy (field 41 of /proc/self/task/TID/stat). */
function policies(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
  });
}

function addon(): NativeArgon2 {
  const load = loadNativeArgon2();
  assert.ok(load.addon, `the argon2 addon in native/ is ${'reason' in load ? load.reason : 'missing'}: npm run build:native`);
  return load.addon;
}

describe("libuv's pool threads yield to the event loop", () => {
  it('switches every pool thread, and no other, to SCHED_BATCH', async () => {
    assert.equal(process.platform, 'linux');
    // The pool starts with its first job: start it, so that its threads exist before and after.
    await addon().hashRaw(Buffer.from('x'), Buffer.alloc(16), 1, 64, 1, 2, 19, 16);
    assert.equal(policies().filter((p) => p === SCHED_BATCH).length, 0);
    assert.equal(await yieldPoolToEventLoop(), threadPoolSize());
    const after = policies();
    assert.equal(after.filter((p) => p === SCHED_BATCH).length, threadPoolSize());
    // The main thread (the event loop) keeps the default policy.
    const main = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    assert.equal(Number(main.slice(main.lastIndexOf(')') + 2).split(' ')[38]), 0);
  });

  it('counts each thread once when asked for more threads than the pool has, and gives up at its deadline', async () => {
    const started = Date.now();
    assert.equal(await addon().batchPoolThreads(threadPoolSize() + 2, 200), threadPoolSize());
    assert.ok(Date.now() - started >= 150, 'answered before the deadline with threads missing');
  });

  it('refuses counts and timeouts out of range', () => {
    assert.throws(() => addon().batchPoolThreads(0, 100), TypeError);
    assert.throws(() => addon().batchPoolThreads(1025, 100), TypeError);
    assert.throws(() => addon().batchPoolThreads(4, 60_001), TypeError);
  });

  it('changes nothing without the addon, or elsewhere than Linux', async () => {
    assert.equal(await yieldPoolToEventLoop(null), 0);
    assert.equal(await yieldPoolToEventLoop(addon(), 'darwin'), 0);
  });
});
