// `npm run build`: tsc compiles src/ to dist/ (the library entry points and their types), then
// esbuild bundles the CLI from that output into dist/bundle/, which bin/gatehouse.cjs runs.
//
// Why a bundle: typebox and kysely ship as several hundred small ES modules each, and node
// loads ES modules one file at a time; with our own ~250 modules that was over half of the
// server's start-up. Fastify (134 files with avvio, find-my-way and semver) and pino (29)
// are loaded one file at a time too, and bundling them took another 30-45 ms off the start.
// Bundled, the CLI is one file. Packages with native addons or files of their own
// (better-sqlite3, argon2, bcrypt, swagger-ui's assets) and those loaded only when used
// (Fastify's schema compilers and plugins, pg, ioredis) stay in node_modules, loaded as usual.
//
// The bundle is CommonJS so that bin/code-cache.cjs can compile it with V8's code cache (Node 20
// has none for ES modules). jose, ES modules only, is bundled for that: require() of an ES
// module needs Node 20.19 or later.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const BUNDLED = new Set(['typebox', 'kysely', 'fastify', 'pino', 'jose']);

const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

const { dependencies } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const external = Object.keys(dependencies)
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

const outdir = path.join(root, 'dist', 'bundle');
// Everything of the last build goes but its code cache: it names the bundle it was made from
// (bin/code-cache.cjs), so it serves an unchanged bundle, as after `npm start`, and no other.
for (const name of existsSync(outdir) ? readdirSync(outdir) : []) {
  if (name !== 'main.cjs.cache') rmSync(path.join(outdir, name), { recursive: true, force: true });
}
try {
  await build({
    entryPoints: { main: path.join(root, 'dist', 'cli', 'main.js') },
    outdir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external,
    // A command's modules are run when it is (`await import()` becomes a lazy require()), so
    // `gatehouse user add` still starts no HTTP server code.
    supported: { 'dynamic-import': false },
    // createRequire(import.meta.url) in src/ resolves from the bundle's own path, as it did from dist/.
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: "var __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    sourcemap: true,
    logLevel: 'warning',
  });
} catch {
  process.exit(1); // esbuild has printed the errors
}
