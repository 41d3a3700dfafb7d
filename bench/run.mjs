#!/usr/bin/env node
// `npm run bench`: starts every contender as its own child process on 127.0.0.1, drives them
// with autocannon (logins: wrk when installed) from a separate load-generator process, rounds interleaved A B C D A B C D,
// then cold starts; prints tables and writes bench/results/latest.json. See bench/README.md.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { es256VerifyMicros, argon2idCeiling, bcryptCeiling, gatehouseArgon2Params, combineSamples, wakeRoundTripMicros } from './ceilings.mjs';
import { defineContenders, startContender } from './contenders.mjs';
import { LoadGenerator } from './load.mjs';
import { formatTable, runMiddlewareBench } from './middleware.mjs';
import { installCleanup, stop, stopAll, memoryOf, waitForQuiet, idleSetting } from './processes.mjs';
import { SCENARIOS, coldStart } from './scenarios.mjs';
import { findWrk } from './wrk.mjs';
import { runScenario, disturbed } from './rounds.mjs';
import { median, evaluateGoals, renderTables, unsteady, writeJson } from './report.mjs';
import { closeAgent } from './tokens.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const log = (line) => process.stderr.write(`${line}\n`);

function readConfig(env) {
  const number = (name, fallback, min) => {
    const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
    if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number ≥ ${min}`);
    return value;
  };
  const duration = number('BENCH_DURATION', 5, 0.2);
  const warmup = number('BENCH_WARMUP', Math.min(1, duration), 0);
  return {
    duration,
    rounds: Math.round(number('BENCH_ROUNDS', 2, 1)),
    warmup,
    loginWarmup: number('BENCH_LOGIN_WARMUP', 6 * duration, 0),
    connections: Math.round(number('BENCH_CONNECTIONS', 10, 1)),
    loginConnections: Math.round(number('BENCH_LOGIN_CONNECTIONS', 4, 1)),
    pool: Math.round(number('BENCH_POOL', 200, 1)),
    coldStarts: Math.round(number('BENCH_COLD_STARTS', 5, 0)),
    quietWait: number('BENCH_QUIET_WAIT', 3, 0),
    spareChains: 5,
    minLoginSeconds: 3, // a bcrypt-12 login takes ~250 ms of a core: shorter rounds may see none
    coldMin: 2000,
    // Never-seen tokens spent warming the cold path before its rounds: about the warm-up's
    // seconds of it, and so by default more than Gatehouse's verified-token cache holds
    // (10,000): the rounds then meet a full cache, each new token evicting the oldest, as a
    // server that has run a while does, not the first filling of its cache and heap.
    coldWarmup: Math.round(10_000 * warmup),
    only: env.BENCH_CONTENDERS ? env.BENCH_CONTENDERS.split(',').map((s) => s.trim()) : null,
    // The resource-server case (bench/middleware.mjs): BENCH_MIDDLEWARE=0 leaves it out.
    middleware: env.BENCH_MIDDLEWARE !== '0',
    results: env.BENCH_RESULTS ? path.resolve(env.BENCH_RESULTS) : path.join(root, 'bench', 'results', 'latest.json'),
  };
}

async function startAll(contenders, ctx, cfg) {
  const entries = [];
  const status = [];
  for (const contender of contenders) {
    const note = contender.precheck();
    if (note) {
      log(`- ${contender.id}: skipped: ${note}`);
      status.push({ id: contender.id, label: contender.label, status: 'skipped', note });
      continue;
    }
    let entry;
    try {
      await contender.prepare?.();
      entry = await startContender(contender, ctx);
      await contender.check?.(entry);
      const t0 = performance.now();
      entry.pool = await contender.tokens(entry, cfg.pool);
      if (new Set(entry.pool).size !== entry.pool.length) throw new Error('the token pool has repeated tokens');
      if (contender.supportsRefresh) entry.coldStash = [];
      log(`- ${contender.id}: up on port ${entry.port} in ${entry.startMs.toFixed(0)} ms; ${entry.pool.length} tokens in ${(performance.now() - t0).toFixed(0)} ms`);
      entries.push(entry);
      status.push({ id: contender.id, label: contender.label, status: 'ran', port: entry.port });
    } catch (error) {
      if (entry) await stop(entry.child);
      log(`- ${contender.id}: FAILED, skipped: ${error.message}`);
      status.push({ id: contender.id, label: contender.label, status: 'failed', note: error.message });
    }
  }
  return { entries, status };
}

async function main() {
  const cfg = readConfig(process.env);
  const wrk = findWrk();
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model,
    cores: os.availableParallelism(),
    config: cfg,
    loadGenerator: `autocannon 8 in one separate child process (bench/loadgen.mjs), prebuilt requests, keep-alive, pipelining 1; logins: ${wrk ? `wrk ${wrk.version}, run by that process (bench/wrk.mjs)` : 'autocannon too (no wrk installed)'}`,
    inheritedGatehouseEnv: Object.keys(process.env).filter((k) => k.startsWith('GATEHOUSE_')),
    idle: idleSetting(),
  };
  log(`bench: load from ${meta.loadGenerator}`);
  log(`bench: node ${meta.node}, ${meta.cores} cores (${meta.cpu}${meta.idle ? `; ${meta.idle}` : ''}); ${cfg.rounds} rounds × ${cfg.duration} s, warm-up ${cfg.warmup} s (logins: ${cfg.loginWarmup} s)`);
  if (meta.inheritedGatehouseEnv.length) log(`bench: Gatehouse also gets ${meta.inheritedGatehouseEnv.join(', ')} from this environment`);

  log('\nceilings (in-process, before any server starts)');
  // Gatehouse's ceilings are measured again before and after each of its cold and login rounds
  // (the round is held against the mean of the two) and combined into their median once the
  // scenarios are done.
  const measureCeiling = {
    es256: () => disturbed(async () => es256VerifyMicros(), cfg.quietWait),
    argon2id: () => disturbed(() => argon2idCeiling(gatehouseArgon2Params()), cfg.quietWait),
  };
  const samples = { es256: [await measureCeiling.es256()], argon2id: [await measureCeiling.argon2id()] };
  const figures = {
    ceilings: { bcrypt: await disturbed(() => bcryptCeiling(), cfg.quietWait) },
    machine: { wakeRoundTrip: await disturbed(() => wakeRoundTripMicros(), cfg.quietWait) },
  };
  const [es256, argon2id] = [samples.es256[0], samples.argon2id[0]];
  log(`  ES256 verify ${es256.micros.toFixed(1)} µs (${es256.cores} at once: ${es256.parallelRps.toFixed(0)}/s); argon2id verify ${argon2id.msPerVerify.toFixed(1)} ms; bcrypt-12 verify ${figures.ceilings.bcrypt.msPerVerify.toFixed(0)} ms; thread wake round trip ${figures.machine.wakeRoundTrip.micros.toFixed(1)} µs`);
  const ceilingOf = { cold: 'es256', login: 'argon2id' };
  const sampleAgain = async (name, when) => {
    const sample = await measureCeiling[name]();
    samples[name].push(sample);
    log(`  ceiling ${when}: ${name === 'es256' ? `ES256 verify ${sample.micros.toFixed(1)} µs` : `argon2id verify ${sample.msPerVerify.toFixed(1)} ms`}`);
    return sample;
  };
  // A core's speed here drifts by 10–30% within a minute: one sample taken before a 5-s round
  // can miss what the round ran at by as much, the mean of one before and one after less.
  const pairing = {
    before: async (scenarioId, entry) => {
      const name = ceilingOf[scenarioId];
      if (!name || entry.contender.id !== 'gatehouse') return undefined;
      return { name, sample: await sampleAgain(name, 'before') };
    },
    after: async (scenarioId, entry, before) => combineSamples([before.sample, await sampleAgain(before.name, 'after')]).ceilingRps,
  };

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
  tmpDir = tmp;
  const ctx = { root, tmp, note: (line) => log(`  note: ${line}`) };
  const rawRounds = {};
  let load;
  try {
    const contenders = defineContenders(ctx).filter((c) => !cfg.only || cfg.only.includes(c.id));
    log('\ncontenders');
    const { entries, status } = await startAll(contenders, ctx, cfg);
    meta.contenders = status;
    meta.scenarios = SCENARIOS.map((s) => ({ id: s.id, title: s.title(cfg) }));

    load = new LoadGenerator();
    try {
      for (const scenario of SCENARIOS) await runScenario(scenario, entries, load, cfg, figures, rawRounds, log, pairing);
    } finally {
      figures.ceilings.es256 = combineSamples(samples.es256);
      figures.ceilings.argon2id = combineSamples(samples.argon2id);
    }

    // After the run means after the work sent has been answered: the storm ends with logins
    // still hashing (argon2id holds 19 MiB each while it runs), which are not the footprint.
    if (cfg.quietWait > 0) await waitForQuiet(cfg.quietWait * 1000);
    figures.memory = Object.fromEntries(entries.map((e) => [e.contender.id, memoryOf(e.pid)]));
    await Promise.all(entries.map((e) => stop(e.child)));

    if (cfg.coldStarts > 0 && entries.length > 0) {
      log(`\n[coldStart] spawn → first 200 (hello: /hello, port: /users/me, seed: /docs, gatehouse: /healthz), ${cfg.coldStarts} times each`);
      const cold = await coldStart(entries.map((e) => e.contender), ctx, cfg, log);
      for (const value of Object.values(cold)) value.medianMs = median(value.runsMs);
      figures.coldStart = cold;
    }

    figures.goals = evaluateGoals(figures);
    figures.unsteady = unsteady(figures);
    process.stdout.write(`${renderTables(figures, meta)}\n`);

    if (cfg.middleware) {
      log('\n[middleware] a protected /hello through each guard vs the same route unprotected');
      const settings = { duration: cfg.duration, connections: 50, rounds: Math.max(2, cfg.rounds) };
      const rows = await runMiddlewareBench({ ...settings, log: (line) => log(`  ${line}`) });
      figures.middleware = rows;
      process.stdout.write(`${formatTable(rows, settings)}\n`);
    }
    const file = cfg.results;
    writeJson(file, { meta, figures, rounds: rawRounds });
    log(`\nwrote ${path.relative(process.cwd(), file)}`);
  } finally {
    load?.close();
    closeAgent();
    await stopAll();
    rmSync(tmp, { recursive: true, force: true });
  }
}

let tmpDir;
installCleanup(() => tmpDir && rmSync(tmpDir, { recursive: true, force: true }));
main().catch((error) => {
  log(`bench failed: ${error.stack ?? error}`);
  process.exitCode = 1;
});
