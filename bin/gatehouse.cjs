#!/usr/bin/env node
'use strict';
// The CLI runs from the bundled build (dist/bundle/, see scripts/build.mjs); `npm install` (prepare) produces it.
//
// CommonJS on purpose: libuv starts its thread pool, at the size UV_THREADPOOL_SIZE gives, with
// the first work queued on it, and loading an ES module entry queues some before its first line
// runs. Here the size is still open. Password hashes run on the pool, one more at a time than
// there are cores, and the signatures of new tokens are checked there too (see
// src/passwords/hash-queue.ts): unless it is set, the pool gets a thread for each core and two more.
const { existsSync } = require('node:fs');
const { availableParallelism } = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = String(Math.min(availableParallelism() + 2, 1024));

const entry = path.join(__dirname, '..', 'dist', 'bundle', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('gatehouse: the build is missing; run `npm run build` first\n');
  process.exit(1);
}
import(pathToFileURL(entry).href);
