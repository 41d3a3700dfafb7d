'use strict';
// Runs the CLI's CommonJS bundle with a V8 code cache (see gatehouse.cjs). Node 20 keeps no
// compiled code between runs (module.enableCompileCache came in Node 22), so every start
// compiled the 2 MB bundle again: about a third of `serve`'s start-up on a small 2-core VM.
const { readFileSync, renameSync, unlinkSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

/**
 * Loads `file` as the CommonJS module it is, compiled from the code cache at `${file}.cache`
 * when V8 accepts it (same source, V8 version and flags). When there is none, or V8 rejected
 * it, and `writeCacheAfterMs` is given, the cache is written that long after the bundle ran,
 * so that it holds the functions compiled by then too, not just the top level; an unref'd
 * timer, so a process that is done by then exits without one. Where the bundle's directory is
 * not writable there is simply no cache.
 * Returns how the cache was used: 'accepted', 'rejected' or 'none'.
 */
function runBundle(file, { writeCacheAfterMs } = {}) {
  const cacheFile = `${file}.cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  const cache = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted';
  if (cache !== 'accepted' && writeCacheAfterMs !== undefined) {
    setTimeout(() => writeCache(script, cacheFile), writeCacheAfterMs).unref();
  }
  const bundle = new Module(file, module);
  bundle.filename = file;
  const wrapper = script.runInThisContext();
  wrapper.call(bundle.exports, bundle.exports, Module.createRequire(file), bundle, file, path.dirname(file));
  bundle.loaded = true;
  return cache;
}

/** Written whole under a name of its own, then renamed: a reader never sees half a file, nor do two writers clash. */
function writeCache(script, cacheFile) {
  const partial = `${cacheFile}.${process.pid}.partial`;
  try {
    writeFileSync(partial, script.createCachedData());
    renameSync(partial, cacheFile);
  } catch {
    try {
      unlinkSync(partial);
    } catch {
      // nothing was written
    }
  }
}

module.exports = { runBundle };
