import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { login, removeDir, ROOT, startServer, tempDir } from '../helpers/server.js';

// util-linux `script` runs the CLI on a pseudo-terminal, as a person typing would.
const SCRIPT = '/usr/bin/script';

it('user add prompts twice on a terminal without echoing the password', { skip: existsSync(SCRIPT) ? undefined : 'needs util-linux script' }, async () => {
  const dir = tempDir();
  try {
    const child = spawn(SCRIPT, ['-qec', `${process.execPath} ${path.join(ROOT, 'bin/gatehouse.cjs')} user add ttyuser`, '/dev/null'], {
      env: { PATH: process.env['PATH'] ?? '', GATEHOUSE_DATA_DIR: dir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    const prompts: string[] = [];
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      // Answer each prompt as it appears.
      for (const prompt of ['Password: ', 'Repeat password: ']) {
        if (output.includes(prompt) && !prompts.includes(prompt)) {
          prompts.push(prompt);
          child.stdin.write('typed secret 42\r');
        }
      }
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.equal(code, 0, output);
    assert.deepEqual(prompts, ['Password: ', 'Repeat password: ']);
    assert.ok(!output.includes('typed secret 42'), `the password was echoed: ${output}`);
    const server = await startServer({ GATEHOUSE_DATA_DIR: dir });
    try {
      assert.equal((await login(server.url, 'ttyuser', 'typed secret 42')).status, 200);
    } finally {
      await server.stop();
    }
  } finally {
    removeDir(dir);
  }
});
