'use strict';
// Runs the CLI's CommonJS bundle with a V8 code cache (see gatehouse.cjs). Node 20 keeps no
// compiled code between runs (module.enableCompileCache came in Node 22), so every start
// compiled the 2 MB bundle again: about a third of `serve`'s start-up on a small 2-core VM.
const { createHash } = require('node:crypto');
const { readFileSync, renameSync, unlinkSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

/** Where a cache still to be written can be written at once: `globalThis[PENDING_CODE_CACHE]?.writeNow()`. */
const PENDING_CODE_CACHE = Symbol.for('gatehouse.pendingCodeCache');

/**
 * Loads `file` as the CommonJS module it is, compiled from the code cache at `${file}.cache`
 * when it was made from this very source and V8 accepts it (same V8 version and flags). When
 * there is none, or it was rejected, and `writeCacheAfterMs` is given, the cache is written that
 * long after the bundle ran (or sooner, when the bundle asks: see PENDING_CODE_CACHE), so that
 * it holds the functions compiled by then too, not just the top level; an unref'd timer, so a
 * process that is done by then exits without one. Where the bundle's directory is
 * not writable there is simply no cache.
 * Returns how the cache was used: 'accepted', 'rejected' or 'none'.
 */
function runBundle(file, { writeCacheAfterMs } = {}) {
  const cacheFile = `${file}.cache`;
  const source = readFileSync(file);
  const sourceHash = createHash('sha256').update(source).digest();
  let stored;
  try {
    stored = readFileSync(cacheFile);
  } catch {
    stored = undefined;
  }
  // V8 checks only the source's length, so a cache of another build of the same length would
  // run that build's code: each cache starts with the SHA-256 of the source it was made from.
  const fits = stored !== undefined && stored.subarray(0, sourceHash.length).equals(sourceHash);
  const cachedData = fits ? stored.subarray(sourceHash.length) : undefined;
  const script = new vm.Script(Module.wrap(source.toString('utf8')), { filename: file, cachedData });
  const cache = stored === undefined ? 'none' : !fits || script.cachedDataRejected ? 'rejected' : 'accepted';
  if (cache !== 'accepted' && writeCacheAfterMs !== undefined) {
    let written = false;
    const writeNow = () => {
      if (written) return;
      written = true;
      delete globalThis[PENDING_CODE_CACHE];
      writeCache(script, sourceHash, cacheFile);
    };
    setTimeout(writeNow, writeCacheAfterMs).unref();
    // V8 takes a cache only under the flags it was made with (it compares a hash of every flag
    // not at its default), so code that changes a V8 flag at run time writes the cache first.
    globalThis[PENDING_CODE_CACHE] = { writeNow };
  }
  const bundle = new Module(file, module);
  bundle.filename = file;
  const wrapper = script.runInThisContext();
  wrapper.call(bundle.exports, bundle.exports, Module.createRequire(file), bundle, file, path.dirname(file));
  bundle.loaded = true;
  return cache;
}

/** Written whole under a name of its own, then renamed: a reader never sees half a file, nor do two writers clash. */
function writeCache(script, sourceHash, cacheFile) {
  const partial = `${cacheFile}.${process.pid}.partial`;
  try {
    writeFileSync(partial, Buffer.concat([sourceHash, script.createCachedData()]));
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
