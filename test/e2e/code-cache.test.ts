import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { poll, removeDir, startServer, tempDir } from '../helpers/server.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CODE_CACHE = path.join(ROOT, 'bin/code-cache.cjs');

/** A bundle as the build makes one: CommonJS that requires a file beside it and node's own modules, and exports. */
function writeBundle(dir: string, greeting = 'hello'): string {
  writeFileSync(path.join(dir, 'dep.cjs'), `module.exports = (name) => '${greeting}, ' + name;\n`);
  writeFileSync(
    path.join(dir, 'main.cjs'),
    `const greet = require('./dep.cjs');
     const { basename } = require('node:path');
     module.exports.answer = 42;
     process.stdout.write(JSON.stringify({ greeting: greet('bundle'), file: basename(__filename), dir: __dirname, exports: module.exports, main: require.main === module }) + '\\n');
`,
  );
  return path.join(dir, 'main.cjs');
}

interface Run {
  readonly cache: string;
  readonly ran: { greeting: string; file: string; dir: string; exports: unknown; main: boolean };
}

/** runBundle in a process of its own that lives 300 ms: long enough for a cache written after `writeCacheAfterMs`. */
function run(file: string, writeCacheAfterMs?: number): Run {
  const options = writeCacheAfterMs === undefined ? '{}' : `{ writeCacheAfterMs: ${writeCacheAfterMs} }`;
  const child = spawnSync(
    process.execPath,
    ['-e', `const cache = require(${JSON.stringify(CODE_CACHE)}).runBundle(${JSON.stringify(file)}, ${options}); process.stdout.write(cache + '\\n'); setTimeout(() => {}, 300);`],
    { encoding: 'utf8' },
  );
  assert.equal(child.status, 0, child.stderr);
  const [ran, cache] = child.stdout.trim().split('\n');
  return { cache: cache ?? '', ran: JSON.parse(ran ?? '{}') };
}

/** `test` on a fresh bundle in a directory of its own, removed afterwards. */
function withBundle(test: (file: string, dir: string) => void): void {
  const dir = tempDir('gatehouse-code-cache-');
  try {
    test(writeBundle(dir), dir);
  } finally {
    removeDir(dir);
  }
}

describe('the CLI bundle runs with a V8 code cache', () => {
  it('runs as CommonJS beside its files, writes a cache when asked and compiles from it the next time', () =>
    withBundle((file, dir) => {
      const first = run(file, 0);
      assert.equal(first.cache, 'none');
      assert.deepEqual(first.ran, { greeting: 'hello, bundle', file: 'main.cjs', dir, exports: { answer: 42 }, main: false });
      assert.ok(existsSync(`${file}.cache`), 'the cache is written');
      assert.deepEqual(run(file, 0), { ...first, cache: 'accepted' });
      assert.deepEqual(readdirSync(dir).sort(), ['dep.cjs', 'main.cjs', 'main.cjs.cache'], 'no partial file is left behind');
    }));

  it('writes no cache unless asked to: only `serve` writes one', () =>
    withBundle((file) => {
      assert.equal(run(file).cache, 'none');
      assert.equal(run(file).cache, 'none');
      assert.ok(!existsSync(`${file}.cache`));
    }));

  it('a cache of another build (even one of the same length) or a damaged one is ignored and written anew', () =>
    withBundle((file, dir) => {
      run(file, 0);
      writeBundle(dir, 'hi'); // dep.cjs changes; main.cjs is the same, so its cache still fits
      assert.equal(run(file, 0).cache, 'accepted');

      writeFileSync(file, `${readFileSync(file, 'utf8')}// another build\n`);
      const rebuilt = run(file, 0);
      assert.equal(rebuilt.cache, 'rejected');
      assert.equal(rebuilt.ran.greeting, 'hi, bundle');
      assert.equal(run(file, 0).cache, 'accepted');

      // Same length, other code: V8 alone would run the cached build's code (it checks only the length).
      const sameLength = readFileSync(file, 'utf8').replace('module.exports.answer = 42;', 'module.exports.answer = 43;');
      assert.equal(sameLength.length, readFileSync(file, 'utf8').length);
      writeFileSync(file, sameLength);
      const edited = run(file, 0);
      assert.equal(edited.cache, 'rejected');
      assert.deepEqual(edited.ran.exports, { answer: 43 });
      assert.equal(run(file, 0).cache, 'accepted');

      writeFileSync(`${file}.cache`, 'not a code cache');
      const damaged = run(file, 0);
      assert.equal(damaged.cache, 'rejected');
      assert.equal(damaged.ran.greeting, 'hi, bundle');
      assert.equal(run(file).cache, 'accepted');
    }));

  it('a cache that cannot be written leaves the bundle running and nothing half-written', () =>
    withBundle((file, dir) => {
      mkdirSync(`${file}.cache`); // in the way: neither readable as a file nor replaceable by one
      writeFileSync(path.join(`${file}.cache`, 'keep'), '');
      const blocked = run(file, 0);
      assert.equal(blocked.cache, 'none');
      assert.equal(blocked.ran.greeting, 'hello, bundle');
      assert.deepEqual(readdirSync(dir).sort(), ['dep.cjs', 'main.cjs', 'main.cjs.cache']);
    }));
});

describe('gatehouse serve writes the code cache that later starts compile from', () => {
  /** The package as installed, with a bundle of its own (dist/bundle/ is shared with the other tests). */
  function packageCopy(dir: string): { bin: string; cache: string } {
    cpSync(path.join(ROOT, 'bin'), path.join(dir, 'bin'), { recursive: true });
    mkdirSync(path.join(dir, 'dist/bundle'), { recursive: true });
    cpSync(path.join(ROOT, 'dist/bundle/main.cjs'), path.join(dir, 'dist/bundle/main.cjs'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    symlinkSync(path.join(ROOT, 'native'), path.join(dir, 'native'));
    return { bin: path.join(dir, 'bin/gatehouse.cjs'), cache: path.join(dir, 'dist/bundle/main.cjs.cache') };
  }

  it('other commands read the cache but never write it; serve writes it once, and a start that could use it leaves it be', async () => {
    const dir = tempDir('gatehouse-code-cache-');
    try {
      const { bin, cache } = packageCopy(dir);
      const env = { GATEHOUSE_DATA_DIR: path.join(dir, 'data') };
      const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout, /^usage: gatehouse <command>/);
      assert.ok(!existsSync(cache), '--help writes no cache');

      const first = await startServer(env, { bin });
      try {
        assert.equal((await fetch(`${first.url}/healthz`)).status, 200);
        assert.ok(await poll(() => existsSync(cache), (written) => written), `serve wrote ${cache}`);
      } finally {
        await first.stop();
      }
      const written = statSync(cache);

      const second = await startServer(env, { bin });
      try {
        const me = await fetch(`${second.url}/users/me`);
        assert.equal(me.status, 401, 'the server built from the cache answers as before');
        await new Promise((resolve) => setTimeout(resolve, 2500)); // past the moment a rejected cache would be rewritten
      } finally {
        await second.stop();
      }
      const after = statSync(cache);
      assert.deepEqual([after.ino, after.mtimeMs], [written.ino, written.mtimeMs], 'V8 accepted the cache, so it was not written again');
      assert.deepEqual(readdirSync(path.join(dir, 'dist/bundle')).sort(), ['main.cjs', 'main.cjs.cache']);
    } finally {
      removeDir(dir);
    }
  });
});
