#!/usr/bin/env node
'use strict';
const { readFileSync, writeFileSync, renameSync } = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');
const { defaultThreadPoolSize } = require('./thread-pool.cjs');
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = String(defaultThreadPoolSize());
const file = path.join(__dirname, '..', 'dist', 'bundle-cjs', 'main.cjs');
const cacheFile = `${file}.cache`;
let cachedData;
if (!process.env.NOCACHE) try { cachedData = readFileSync(cacheFile); } catch {}
const source = readFileSync(file, 'utf8');
const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
const mod = new Module(file, module);
mod.filename = file; mod.paths = Module._nodeModulePaths(path.dirname(file));
const fn = script.runInThisContext();
if (process.env.CACHEDBG) process.stderr.write(`cache ${cachedData ? (script.cachedDataRejected ? 'rejected' : 'accepted') : 'none'}\n`);
if (!process.env.NOCACHE && (!cachedData || script.cachedDataRejected) && process.argv[2] === 'serve') {
  setTimeout(() => { const tmp = `${cacheFile}.${process.pid}`; writeFileSync(tmp, script.createCachedData()); renameSync(tmp, cacheFile); if (process.env.CACHEDBG) process.stderr.write('cache written\n'); }, 1500).unref();
}
fn.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
