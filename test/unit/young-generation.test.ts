import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';

const MODULE = path.resolve(import.meta.dirname, '../../src/cli/young-generation.ts');

// In a fresh process: new-space size before and after allocating objects of which a tenth
// survive, the pattern that makes V8 grow its young generation.
// WORKER=before|after starts a worker thread before or after the call.
const SCRIPT = `
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { keepYoungGenerationSmall } from ${JSON.stringify(MODULE)};
const size = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const worker = async () => { const w = new Worker('', { eval: true }); await new Promise((resolve) => w.once('exit', resolve)); };
if (process.env.WORKER === 'before') await worker();
keepYoungGenerationSmall();
if (process.env.WORKER === 'after') await worker();
const before = size();
const kept = [];
for (let i = 0; i < 3e6; i++) { const o = { i, s: 'x' + i }; if (i % 10 === 0) kept.push(o); }
process.stdout.write(JSON.stringify({ before, after: size(), kept: kept.length }));
`;

function run(nodeOptions: string, worker?: 'before' | 'after'): { before: number; after: number } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    env: { ...process.env, NODE_OPTIONS: nodeOptions, WORKER: worker ?? '' },
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as { before: number; after: number };
}

describe('keepYoungGenerationSmall', () => {
  it('stops the young generation from growing under allocation', () => {
    const { before, after } = run('');
    assert.equal(after, before);
  });

  it('holds when called after a worker thread has started, which a worker started later undoes (serve calls it last)', () => {
    const started = run('', 'before');
    assert.equal(started.after, started.before);
    const later = run('', 'after');
    assert.ok(later.after > later.before, `grew from ${later.before} to ${later.after}`);
  });

  it('leaves it alone when NODE_OPTIONS sets a semi-space size', () => {
    const { before, after } = run('--max-semi-space-size=16');
    assert.ok(after > before, `grew from ${before} to ${after}`);
  });
});
