import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';

const MODULE = path.resolve(import.meta.dirname, '../../src/cli/young-generation.ts');

// In a fresh process: new-space size before and after allocating objects of which a tenth
// survive, the pattern that makes V8 grow its young generation.
const SCRIPT = `
import v8 from 'node:v8';
import { keepYoungGenerationSmall } from ${JSON.stringify(MODULE)};
const size = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
keepYoungGenerationSmall();
const before = size();
const kept = [];
for (let i = 0; i < 3e6; i++) { const o = { i, s: 'x' + i }; if (i % 10 === 0) kept.push(o); }
process.stdout.write(JSON.stringify({ before, after: size(), kept: kept.length }));
`;

function run(nodeOptions: string): { before: number; after: number } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    env: { ...process.env, NODE_OPTIONS: nodeOptions },
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

  it('leaves it alone when NODE_OPTIONS sets a semi-space size', () => {
    const { before, after } = run('--max-semi-space-size=16');
    assert.ok(after > before, `grew from ${before} to ${after}`);
  });
});
