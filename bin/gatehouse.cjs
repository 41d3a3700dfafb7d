#!/usr/bin/env node
'use strict';
// The CLI runs from the bundled build (dist/bundle/, see scripts/build.mjs); `npm install` (prepare) produces it.
//
// CommonJS on purpose: libuv starts its thread pool, at the size UV_THREADPOOL_SIZE gives, with
// the first work queued on it, and loading an ES module entry queues some before its first line
// runs. Here the size is still open: password hashes and the signature checks of new tokens
// run on the pool (see src/passwords/hash-queue.ts and bin/thread-pool.cjs).
const { existsSync } = require('node:fs');
const path = require('node:path');
const { runBundle } = require('./code-cache.cjs');
const { defaultThreadPoolSize } = require('./thread-pool.cjs');

if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = String(defaultThreadPoolSize());

const bundle = path.join(__dirname, '..', 'dist', 'bundle', 'main.cjs');
if (!existsSync(bundle)) {
  process.stderr.write('gatehouse: the build is missing; run `npm run build` first\n');
  process.exit(1);
}
// `serve` writes the code cache (when there is none yet, or V8 rejected it) once it listens, just
// before it changes a V8 flag (src/cli/young-generation.ts), or two seconds in at the latest, so
// the cache holds what a start compiles; other commands only read it.
runBundle(bundle, process.argv[2] === 'serve' ? { writeCacheAfterMs: 2000 } : {});
