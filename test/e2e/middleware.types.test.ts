import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { it } from 'node:test';
import { ROOT } from '../helpers/server.js';

it('the published types serve an application using all three subpaths (tsc, strict, library checks on)', () => {
  const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'test/fixtures/consumer/tsconfig.json'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
});
