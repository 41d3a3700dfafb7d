// Running measurements: one load run with the server's, the load generator's and the rest of
// the machine's core use attached; a scenario's rounds interleaved across contenders
// (A B C D A B C D), each after waiting for a quiet machine; medians into `figures`.
import { machineBusySeconds, waitForQuiet, tail } from './processes.mjs';
import { summarise } from './report.mjs';

/**
 * One load run with the server's, the load generator's and the rest of the machine's core use
 * over the load (timed in the load generator) attached to every result.
 */
async function measure(load, entry, specs) {
  const { results, serverCpu, loadgenCpu, otherCpu } = await load.run(entry.pid, ...specs);
  if (entry.child.exitCode !== null || entry.child.signalCode !== null) {
    throw new Error(`the server exited during the run\n${tail(entry.logFile)}`);
  }
  for (const r of results) {
    Object.assign(r, { serverCpu, loadgenCpu, otherCpu });
    if (r === results[0] && r.ok === 0) {
      throw new Error(
        Object.keys(r.statusCodes).length || r.errors
          ? `${r.title}: no 2xx answer (status codes ${JSON.stringify(r.statusCodes)}, ${r.errors} connection errors)`
          : `${r.title}: no answer at all within the round (too short for this server? BENCH_DURATION)`,
      );
    }
  }
  return results;
}

const brief = (r) =>
  `${r.rps.toFixed(r.rps < 100 ? 1 : 0)} req/s, p50 ${r.latencyMs.p50?.toFixed(2)} ms, p99 ${r.latencyMs.p99?.toFixed(2)} ms` +
  `${r.non2xx + r.errors ? `, ${r.non2xx} non-2xx ${JSON.stringify(r.statusCodes)}, ${r.errors} errors` : ''}${r.reused ? `, ${r.reused} tokens REUSED` : ''}` +
  `${r.chainBreaks ? `, ${r.chainBreaks} chain breaks` : ''}` +
  ` [cores: server ${r.serverCpu?.toFixed(2)}, loadgen ${r.loadgenCpu?.toFixed(2)}${r.otherCpu > 0.15 ? `, OTHER ${r.otherCpu.toFixed(2)}` : ''}]`;

/**
 * `pairing`, when given, times a round's ceiling around it: `before(scenarioId, entry)` runs
 * before each measured round, after the quiet wait, and a sample it resolves is taken again by
 * `after(scenarioId, entry, before)` once the round is over, which resolves the ceiling paired
 * with that round (see versusCeiling in report.mjs).
 */
export async function runScenario(scenario, entries, load, cfg, figures, rawRounds, log, pairing) {
  const entrants = entries.filter((e) => scenario.takesPart(e.contender));
  if (entrants.length === 0) return;
  log(`\n[${scenario.id}] ${scenario.title(cfg)}`);
  const rounds = Object.fromEntries(entrants.map((e) => [e.contender.id, []]));
  const failed = {};
  const attempt = async (entry, seconds, round) => {
    const specs = await scenario.specs(entry, cfg, seconds, round);
    const results = await measure(load, entry, specs);
    scenario.after?.(entry, results);
    return results;
  };
  const warmup = scenario.warmup === false ? 0 : (scenario.warmup?.(cfg) ?? cfg.warmup);
  if (warmup > 0) {
    for (const entry of entrants) {
      try {
        await attempt(entry, warmup, 0);
      } catch (error) {
        // Not fatal: a warm-up may be too short for one slow login; the rounds tell.
        log(`  warm-up ${entry.contender.id}: ${error.message}`);
      }
    }
  }
  for (let round = 1; round <= cfg.rounds; round++) {
    for (const entry of entrants) {
      const id = entry.contender.id;
      if (failed[id]) continue;
      try {
        const quiet = cfg.quietWait > 0 ? await waitForQuiet(cfg.quietWait * 1000) : null;
        if (quiet && quiet.busyCores >= 0.25) log(`  (machine still busy: ${quiet.busyCores.toFixed(2)} cores used by other work after ${cfg.quietWait} s)`);
        const before = await pairing?.before(scenario.id, entry);
        const results = await attempt(entry, cfg.duration, round);
        for (const r of results) r.busyBefore = quiet?.busyCores ?? null;
        if (before) results[0].pairedCeilingRps = await pairing.after(scenario.id, entry, before);
        rounds[id].push(results);
        log(`  round ${round}/${cfg.rounds} ${id.padEnd(9)} ${results.map((r) => `${r.title}: ${brief(r)}`).join(' | ')}`);
      } catch (error) {
        failed[id] = error.message;
        log(`  round ${round} ${id} failed: ${error.message}`);
      }
    }
  }
  figures[scenario.id] = {};
  rawRounds[scenario.id] = rounds;
  for (const entry of entrants) {
    const id = entry.contender.id;
    const done = rounds[id];
    if (done.length === 0) figures[scenario.id][id] = { error: failed[id] ?? 'no rounds' };
    else if (scenario.id === 'storm') figures.storm[id] = { me: summarise(done.map((r) => r[0])), login: summarise(done.map((r) => r[1])) };
    else figures[scenario.id][id] = summarise(done.map((r) => r[0]));
    if (failed[id]) figures[scenario.id][id].error = failed[id];
    if (scenario.id === 'me') entry.meRps = figures.me[id].rps;
  }
}

/** Runs `measure` and adds `otherCpu`: cores the rest of the machine used meanwhile. */
export async function disturbed(measure, quietWait) {
  if (quietWait > 0) await waitForQuiet(quietWait * 1000);
  const busy0 = machineBusySeconds();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await measure();
  const own = process.cpuUsage(own0);
  const wall = (performance.now() - t0) / 1000;
  result.otherCpu = busy0 === null ? null : Math.max(0, (machineBusySeconds() - busy0 - (own.user + own.system) / 1e6) / wall);
  return result;
}
