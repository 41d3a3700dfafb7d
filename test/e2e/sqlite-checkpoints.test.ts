import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { poll, removeDir, startServer, tempDir } from '../helpers/server.js';

it('serve checkpoints the SQLite WAL on a thread of its own, and leaves no WAL behind when it stops', async () => {
  const dir = tempDir();
  try {
    const server = await startServer({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_LOG_LEVEL: 'info' });
    try {
      const said = await poll(
        () => server.output().includes('SQLite WAL checkpoints run on a thread of their own'),
        (found) => found,
        50,
      );
      assert.ok(said, `no line about the checkpoint thread in:\n${server.output()}`);
      assert.doesNotMatch(server.output(), /checkpoint thread stopped|could not start the WAL checkpoint thread/);
      assert.ok(existsSync(path.join(dir, 'gatehouse.db-wal')), 'the WAL is in use while it serves');
    } finally {
      await server.stop();
    }
    // Stopped, the thread closed its connection first, so the server's close was the last and removed the WAL.
    assert.equal(server.process.exitCode, 0, server.output());
    assert.equal(existsSync(path.join(dir, 'gatehouse.db-wal')), false);
  } finally {
    removeDir(dir);
  }
});
