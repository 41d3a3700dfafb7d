// Figures → tables on stdout and bench/results/latest.json. Rounds are summarised by their
// median (the mean of the two middle rounds when there is an even number).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** One load result of each round → the median figures. */
export function summarise(rounds) {
  const pick = (f) => median(rounds.map(f));
  return {
    rps: pick((r) => r.rps),
    p50: pick((r) => r.latencyMs.p50),
    p99: pick((r) => r.latencyMs.p99),
    ok: rounds.reduce((s, r) => s + r.ok, 0),
    non2xx: rounds.reduce((s, r) => s + r.non2xx + r.errors, 0),
    serverCpu: pick((r) => r.serverCpu),
    loadgenCpu: pick((r) => r.loadgenCpu),
    otherCpu: pick((r) => r.otherCpu),
    roundsRps: rounds.map((r) => r.rps),
    // The ceiling timed around each round (the mean of a sample before and one after it), where
    // there is one (Gatehouse's cold and login rounds).
    roundsCeilingRps: rounds.map((r) => r.pairedCeilingRps ?? null),
  };
}

const num = (x, digits = 0) =>
  x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (x) => (x === null || x === undefined ? '–' : x < 10 ? num(x, 2) : x < 100 ? num(x, 1) : num(x, 0));

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const GOALS = [
  { id: 'me_vs_hello', what: '/users/me req/s ÷ bare Fastify /hello', min: 0.6, value: (f, id) => versus(f.me?.[id], f.me?.hello) },
  { id: 'me_vs_port', what: '/users/me req/s ÷ hand-written port', min: 1.5, value: (f, id) => versus(f.me?.[id], f.me?.port) },
  { id: 'me_vs_seed', what: '/users/me req/s ÷ FastAPI seed', min: 6, value: (f, id) => versus(f.me?.[id], f.me?.seed) },
  { id: 'cold_vs_es256', what: 'cold-token req/s ÷ (1 / ES256 verify)', min: 0.75, value: (f, id) => versusCeiling(f.cold?.[id], f.ceilings?.es256), only: ['gatehouse'] },
  { id: 'login_vs_hash', what: 'logins/s ÷ (cores / hash verify)', min: 0.85, value: (f, id) => versusCeiling(f.login?.[id], id === 'gatehouse' ? f.ceilings?.argon2id : f.ceilings?.bcrypt) },
  { id: 'storm_p99', what: '/users/me p99 during login storm, ms', max: 25, value: (f, id) => f.storm?.[id]?.me?.p99 ?? null },
  { id: 'refresh_rps', what: 'refresh grants/s', min: 2000, value: (f, id) => f.refresh?.[id]?.rps ?? null, only: ['gatehouse'] },
  { id: 'cold_start', what: 'cold start (spawn → first 200), median ms', max: 500, value: (f, id) => f.coldStart?.[id]?.medianMs ?? null },
  { id: 'rss', what: 'RSS after the run, MB', max: 150, value: (f, id) => f.memory?.[id]?.rssMB ?? null },
];

function ratio(a, b) {
  return typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : null;
}

/**
 * The round-by-round ratios, when both sides have a figure for every round; otherwise null.
 * Round i of every contender runs within seconds of the others' round i (A B C D A B C D), so
 * the speed of the machine, which drifts between rounds, is nearly the same for both figures
 * of a ratio; the ratio of two medians would pair figures taken minutes apart.
 */
function roundRatios(as, bs) {
  if (!Array.isArray(as) || !Array.isArray(bs) || as.length === 0 || as.length !== bs.length) return null;
  if (![...as, ...bs].every((x) => typeof x === 'number' && x > 0)) return null;
  return as.map((a, i) => a / bs[i]);
}

/** A ratio goal's figure: the median of the round-by-round ratios (kept as `byRound`), or where a round failed, the ratio of the medians. */
function compared([as, bs], [a, b]) {
  const byRound = roundRatios(as, bs);
  return { value: byRound ? median(byRound) : ratio(a, b), byRound };
}

/** One contender's figures ÷ another's. */
const versus = (a, b) => compared([a?.roundsRps, b?.roundsRps], [a?.rps, b?.rps]);

/** Rounds ÷ the ceiling timed around each (Gatehouse); otherwise ÷ the median ceiling. */
const versusCeiling = (run, ceiling) => compared([run?.roundsRps, run?.roundsCeilingRps], [run?.rps, ceiling?.ceilingRps]);

/** A goal's figure and, for a ratio, its round-by-round ratios (null when not paired). */
function figureOf(goal, figures, id) {
  const out = goal.value(figures, id);
  return out !== null && typeof out === 'object' ? out : { value: out, byRound: null };
}

/** PASS/MISS of every goal for `subject`, and the same figures for the peers for reference. */
export function evaluateGoals(figures, subject = 'gatehouse', references = ['port', 'seed']) {
  return GOALS.map((goal) => {
    const { value, byRound } = figureOf(goal, figures, subject);
    const verdict = value === null ? 'n/a' : (goal.min !== undefined ? value >= goal.min : value <= goal.max) ? 'PASS' : 'MISS';
    const refs = Object.fromEntries(
      references
        .map((id) => [id, goal.only && !goal.only.includes(id) ? null : figureOf(goal, figures, id).value])
        .filter(([id]) => !goal.id.endsWith(`_${id}`)),
    );
    return { id: goal.id, what: goal.what, target: goal.min !== undefined ? `≥ ${goal.min}` : `≤ ${goal.max}`, value, byRound, verdict, references: refs };
  });
}

const fmtGoal = (id, v) => (v === null || v === undefined ? '–' : ['storm_p99', 'cold_start'].includes(id) ? ms(v) : v >= 100 ? num(v) : num(v, 2));

export function renderTables(figures, meta) {
  const out = [];
  const ids = meta.contenders.filter((c) => c.status === 'ran').map((c) => c.id);
  for (const scenario of meta.scenarios) {
    const data = figures[scenario.id];
    if (!data || Object.keys(data).length === 0) continue;
    out.push(`\n## ${scenario.id}: ${scenario.title}`);
    const storm = scenario.id === 'storm';
    const headers = storm
      ? ['contender', '/users/me req/s', 'p50 ms', 'p99 ms', 'logins/s', 'non-2xx', 'server cores', 'loadgen cores', 'other cores']
      : ['contender', 'req/s', 'p50 ms', 'p99 ms', '2xx', 'non-2xx', 'server cores', 'loadgen cores', 'other cores', 'rounds req/s'];
    const rows = ids
      .filter((id) => data[id])
      .map((id) => {
        const d = data[id];
        if (d.error && !d.rps && !d.me) return [id, `failed: ${d.error.split('\n')[0].slice(0, 60)}`, ...Array(headers.length - 2).fill('')];
        const s = storm ? d.me : d;
        return storm
          ? [id, num(s.rps), ms(s.p50), ms(s.p99), num(d.login.rps, 1), num(s.non2xx + d.login.non2xx), num(s.serverCpu, 2), num(s.loadgenCpu, 2), num(s.otherCpu, 2)]
          : [id, num(s.rps, s.rps < 100 ? 1 : 0), ms(s.p50), ms(s.p99), num(s.ok), num(s.non2xx), num(s.serverCpu, 2), num(s.loadgenCpu, 2), num(s.otherCpu, 2), s.roundsRps.map((x) => num(x, x < 100 ? 1 : 0)).join(' / ')];
      });
    out.push(table(headers, rows));
  }

  out.push('\n## start-up and memory');
  out.push(
    table(
      ['contender', 'cold start ms (median)', 'runs ms', 'RSS MB after run', 'peak RSS MB'],
      ids.map((id) => {
        const cs = figures.coldStart?.[id];
        const mem = figures.memory?.[id];
        return [id, cs?.error ? 'failed' : ms(cs?.medianMs), cs?.runsMs?.map((x) => num(x)).join(' ') ?? '–', num(mem?.rssMB, 1), num(mem?.peakMB, 1)];
      }),
    ),
  );

  const c = figures.ceilings;
  out.push('\n## in-process ceilings (bench process: before any server starts, and ES256/argon2id again before and after each Gatehouse cold/login round; median)');
  const each = (ceiling, figure, digits) => (ceiling.samples ?? [ceiling]).map((s) => num(figure(s), digits)).join(' ');
  const parallelMs = (s) => (1000 * s.cores) / s.parallelRps;
  const parallelMicros = (s) => (1e6 * s.cores) / s.parallelRps;
  const wake = figures.machine?.wakeRoundTrip;
  out.push(
    table(
      ['what', 'per op', 'ceiling /s', 'other cores', 'samples'],
      [
        ['ES256 verify (node:crypto, P-256, ieee-p1363), 1 thread', `${num(c.es256.micros, 1)} µs`, num(c.es256.ceilingRps), num(c.es256.otherCpu, 2), each(c.es256, (s) => s.micros, 1)],
        ...(c.es256.parallelRps
          ? [[`  the same, ${c.es256.cores} at once (measured; one thread each)`, `${num(parallelMicros(c.es256), 1)} µs`, num(c.es256.parallelRps), num(c.es256.otherCpu, 2), each(c.es256, parallelMicros, 1)]]
          : []),
        ...(c.es256.ownKeyMicros
          ? [['  Gatehouse\'s check of its own tokens (private key, native/ addon), 1 thread', `${num(c.es256.ownKeyMicros, 1)} µs`, num(1e6 / c.es256.ownKeyMicros), num(c.es256.otherCpu, 2), each(c.es256, (s) => s.ownKeyMicros, 1)]]
          : []),
        [
          `argon2id verify m=${c.argon2id.params.memoryCost},t=${c.argon2id.params.timeCost},p=${c.argon2id.params.parallelism}${c.argon2id.engine ? ` (${c.argon2id.engine})` : ''} × ${c.argon2id.cores} cores`,
          `${num(c.argon2id.msPerVerify, 1)} ms`,
          num(c.argon2id.ceilingRps, 1),
          num(c.argon2id.otherCpu, 2),
          each(c.argon2id, (s) => s.msPerVerify, 1),
        ],
        [`  the same, on ${c.argon2id.cores} threads at once, one more queued (measured)`, `${num(parallelMs(c.argon2id), 1)} ms`, num(c.argon2id.parallelRps, 1), num(c.argon2id.otherCpu, 2), each(c.argon2id, parallelMs, 1)],
        [`bcrypt cost 12 verify × ${c.bcrypt.cores} cores`, `${num(c.bcrypt.msPerVerify, 1)} ms`, num(c.bcrypt.ceilingRps, 1), num(c.bcrypt.otherCpu, 2), each(c.bcrypt, (s) => s.msPerVerify, 1)],
        ...(wake ? [['for reference: thread wake round trip (futex each way)', `${num(wake.micros, 1)} µs`, '–', num(wake.otherCpu, 2), num(wake.micros, 1)]] : []),
      ],
    ),
  );

  out.push('\n## goals (Gatehouse; a ratio is the median of its rounds, each against the same round of the other side; port and seed for reference)');
  out.push(
    table(
      ['goal', 'target', 'gatehouse', 'result', 'gatehouse by round', 'port', 'seed'],
      figures.goals.map((g) => [
        g.what,
        g.target,
        fmtGoal(g.id, g.value),
        g.verdict,
        g.byRound?.map((v) => num(v, 2)).join(' ') ?? '',
        fmtGoal(g.id, g.references.port),
        fmtGoal(g.id, g.references.seed),
      ]),
    ),
  );
  // What the machine gives with every core at once, next to the one-thread ceilings the goals use.
  const references = [];
  const logins = figures.login?.gatehouse?.rps;
  if (logins && c.argon2id.parallelRps) {
    references.push(
      `For reference: Gatehouse logins/s ÷ argon2id verifies/s with all ${c.argon2id.cores} cores at once in-process = ${(logins / c.argon2id.parallelRps).toFixed(2)}` +
        ` (that rate is ${(c.argon2id.parallelRps / c.argon2id.ceilingRps).toFixed(2)} of the ceiling on this machine).`,
    );
  }
  const cold = figures.cold?.gatehouse?.rps;
  if (cold && c.es256.parallelRps) {
    references.push(
      `For reference: Gatehouse never-seen tokens/s ÷ ES256 verifies/s with all ${c.es256.cores} cores at once in-process = ${(cold / c.es256.parallelRps).toFixed(2)}` +
        ` (that rate is ${(c.es256.parallelRps / c.es256.ceilingRps).toFixed(2)} of the one-thread ceiling on this machine).`,
    );
  }
  if (cold && c.es256.ownKeyMicros) {
    references.push(
      `For reference: Gatehouse never-seen tokens/s ÷ (1 / its own-key check) = ${((cold * c.es256.ownKeyMicros) / 1e6).toFixed(2)}` +
        ' (the goal holds them against node:crypto\'s verify, which Gatehouse does not run for its own tokens when the addon is built).',
    );
  }
  if (references.length) out.push(`\n${references.join('\n')}`);
  const disturbed = disturbances(figures);
  if (disturbed.length) {
    out.push(`\nWARNING: other work on the machine used more than 0.25 cores during: ${disturbed.join(', ')}. Those figures are low; run again on a quiet machine.`);
  }
  const spread = unsteady(figures);
  if (spread.length) {
    out.push(
      `\nNOTE: rounds or samples differ by more than ${UNSTEADY_LIMIT * 100}% (highest ÷ lowest) in: ${spread.map((u) => `${u.what} ${u.percent}%`).join(', ')}.` +
        ' A goal near its target can come out either way in another run; more rounds (BENCH_ROUNDS) steady the medians.',
    );
  }
  return out.join('\n');
}

/** Highest ÷ lowest − 1 above which a figure's rounds are reported as unsteady. */
export const UNSTEADY_LIMIT = 0.15;

/**
 * Figures whose rounds (load scenarios) or samples (in-process ceilings) disagree by more than
 * `limit`: their medians, and the goals computed from them, may move in the next run.
 */
export function unsteady(figures, limit = UNSTEADY_LIMIT) {
  const found = [];
  const check = (what, values) => {
    const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x) && x > 0);
    if (v.length < 2) return;
    const spread = Math.max(...v) / Math.min(...v) - 1;
    if (spread > limit) found.push({ what, percent: Math.round(spread * 100) });
  };
  for (const scenario of ['me', 'refresh', 'cold', 'login', 'storm']) {
    for (const [id, d] of Object.entries(figures[scenario] ?? {})) check(`${scenario}/${id}`, (scenario === 'storm' ? d.me?.roundsRps : d.roundsRps) ?? []);
  }
  for (const [name, value] of Object.entries(figures.ceilings ?? {})) {
    check(`ceiling ${name}`, (value.samples ?? []).map((s) => s.micros ?? s.msPerVerify));
  }
  return found;
}

/** Figures during which the rest of the machine was busy (other cores > 0.25). */
export function disturbances(figures) {
  const found = [];
  for (const [name, value] of Object.entries(figures.ceilings ?? {})) if (value.otherCpu > 0.25) found.push(`ceiling ${name}`);
  for (const scenario of ['me', 'refresh', 'cold', 'login', 'storm']) {
    for (const [id, d] of Object.entries(figures[scenario] ?? {})) {
      const other = scenario === 'storm' ? d.me?.otherCpu : d.otherCpu;
      if (other > 0.25) found.push(`${scenario}/${id} (${other.toFixed(2)})`);
    }
  }
  return found;
}

export function writeJson(file, document) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
}
