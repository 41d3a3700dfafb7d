import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, removeDir, tempDir } from '../helpers/server.js';

/**
 * Imports `specifier` in a fresh `node` (no tsx: the package's own exports map and dist/)
 * and lists every module it loaded, ES (through a resolve hook) and CommonJS (require.cache).
 */
function modulesLoadedBy(specifier: string): { exports: string[]; modules: string[] } {
  const dir = tempDir('gatehouse-exports-');
  const log = path.join(dir, 'resolved.txt');
  const script = `
    import { register, createRequire } from 'node:module';
    import { readFileSync, writeFileSync } from 'node:fs';
    import { pathToFileURL } from 'node:url';
    writeFileSync(process.env.LOG, '');
    register('./test/fixtures/record-loads.mjs', pathToFileURL(process.cwd() + '/'), { data: { log: process.env.LOG } });
    const loaded = await import(process.env.TARGET);
    const esm = readFileSync(process.env.LOG, 'utf8').split('\\n').filter(Boolean);
    const cjs = Object.keys(createRequire(import.meta.url).cache);
    process.stdout.write(JSON.stringify({ exports: Object.keys(loaded).sort(), modules: [...esm, ...cjs] }));
  `;
  try {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', TARGET: specifier, LOG: log },
      encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stderr);
    return JSON.parse(child.stdout) as { exports: string[]; modules: string[] };
  } finally {
    removeDir(dir);
  }
}

const FRAMEWORKS = /node_modules\/(fastify|express|hono|@hono\/[^/]+)\//;

function frameworksIn(modules: readonly string[]): string[] {
  return [...new Set(modules.flatMap((m) => FRAMEWORKS.exec(m)?.[1] ?? []))].sort();
}

describe('package subpath exports', () => {
  it('gatehouse/express loads neither Fastify nor Hono — nor Express itself', () => {
    const { exports, modules } = modulesLoadedBy('gatehouse/express');
    assert.deepEqual(exports, ['TokenVerifier', 'createGuard', 'createVerifier', 'principalOf']);
    assert.ok(modules.some((m) => m.endsWith('/dist/middleware/express.js')), 'resolved through the exports map to dist/');
    assert.deepEqual(frameworksIn(modules), []);
  });

  it('gatehouse/fastify and gatehouse/hono load no framework either: they use the application’s', () => {
    const fastify = modulesLoadedBy('gatehouse/fastify');
    assert.deepEqual(fastify.exports, ['TokenVerifier', 'createVerifier', 'gatehouse', 'principalOf', 'requireScopes']);
    assert.deepEqual(frameworksIn(fastify.modules), []);
    const hono = modulesLoadedBy('gatehouse/hono');
    assert.deepEqual(hono.exports, ['TokenVerifier', 'createGuard', 'createVerifier']);
    assert.deepEqual(frameworksIn(hono.modules), []);
  });

  it('gatehouse itself is the framework-free verifier, and loads no framework', () => {
    const { exports, modules } = modulesLoadedBy('gatehouse');
    assert.deepEqual(exports, ['TokenVerifier', 'createVerifier', 'refusalFor']);
    assert.ok(modules.some((m) => m.endsWith('/dist/index.js')), 'resolved through the exports map to dist/');
    assert.deepEqual(frameworksIn(modules), []);
  });

  it('sees a framework when one is loaded (the probe is not blind)', () => {
    assert.deepEqual(frameworksIn(modulesLoadedBy('fastify').modules), ['fastify']);
    assert.deepEqual(frameworksIn(modulesLoadedBy('hono').modules), ['hono']);
    assert.deepEqual(frameworksIn(modulesLoadedBy('express').modules), ['express']);
  });

  it('publishes types for the root and every subpath', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, { types?: string; default?: string } | string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    const root = pkg.exports['.'];
    assert.ok(typeof root === 'object' && root.types && root.default && existsSync(path.join(ROOT, root.types)) && existsSync(path.join(ROOT, root.default)), 'the package root');
    for (const name of ['fastify', 'express', 'hono']) {
      const entry = pkg.exports[`./${name}`];
      assert.ok(typeof entry === 'object' && entry.types && entry.default, name);
      assert.ok(existsSync(path.join(ROOT, entry.types)), entry.types);
      assert.ok(existsSync(path.join(ROOT, entry.default)), entry.default);
      assert.equal(pkg.peerDependenciesMeta[name]?.optional, true, `${name} is an optional peer dependency`);
    }
  });
});
