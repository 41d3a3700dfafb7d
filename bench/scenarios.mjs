// What is measured: each scenario says which contenders take part and builds the load specs
// of one round for one contender (see loadgen.mjs for the kinds). run.mjs runs the rounds
// interleaved A B C A B C; cold start is separate (coldStart below).
import { startContender } from './contenders.mjs';
import { stop, waitForQuiet } from './processes.mjs';

const url = (entry) => `http://127.0.0.1:${entry.port}`;

export const SCENARIOS = [
  {
    id: 'me',
    title: (cfg) => `GET /users/me, ${cfg.pool} distinct valid tokens round-robin (hello: GET /hello, same headers), ${cfg.connections} connections`,
    takesPart: (c) => Boolean(c.mePath),
    specs: (entry, cfg, seconds) => [
      { kind: 'bearer', title: 'me', url: url(entry), path: entry.contender.mePath, tokens: entry.pool, connections: cfg.connections, duration: seconds },
    ],
  },
  {
    // Before 'cold': the access tokens it is issued (never sent anywhere yet) become the cold pool.
    id: 'refresh',
    title: (cfg) => `POST /token grant_type=refresh_token, one rotating chain per connection, ${cfg.connections} connections`,
    takesPart: (c) => Boolean(c.supportsRefresh),
    async specs(entry, cfg, seconds) {
      // Chains start from fresh logins each round: the last answers of a round are never read,
      // so the refresh tokens at the chain heads may already have been rotated.
      const heads = await entry.contender.refreshHeads(entry, cfg.connections + cfg.spareChains);
      return [
        {
          kind: 'refresh',
          title: 'refresh',
          url: url(entry),
          refreshTokens: heads.slice(0, cfg.connections),
          spares: heads.slice(cfg.connections),
          collect: true,
          connections: cfg.connections,
          duration: seconds,
        },
      ];
    },
    after(entry, [result]) {
      entry.coldStash.push(...(result.accessTokens ?? []));
      delete result.accessTokens;
    },
  },
  {
    id: 'cold',
    title: (cfg) => `GET /users/me, every request a never-seen token (each sent once), ${cfg.connections} connections`,
    takesPart: (c) => Boolean(c.coldTokens),
    // Warmed up like every other path, with cfg.coldWarmup never-seen tokens that are then
    // spent: 'me' does not warm this path, since after its first 200 tokens Gatehouse answers
    // it from the verified-token cache, and a cold path still being compiled measures the JIT.
    async specs(entry, cfg, seconds, round) {
      // Sized to last about `seconds` at the warm rate. Gatehouse's pool is what the refresh
      // rounds were issued, topped up by more refresh grants only when it is below
      // cfg.coldMin per round left (once); a round then runs shorter than `seconds`.
      const warmUp = round === 0;
      const wanted = warmUp ? cfg.coldWarmup : Math.max(cfg.connections * 20, Math.ceil((entry.meRps ?? 2000) * seconds));
      let tokens;
      if (entry.coldStash) {
        const roundsLeft = cfg.rounds - Math.max(round, 1) + 1;
        const floor = warmUp ? wanted + cfg.coldMin * roundsLeft : Math.min(wanted, cfg.coldMin) * roundsLeft;
        if (entry.coldStash.length < floor && !entry.coldToppedUp) {
          entry.coldToppedUp = true; // once: with logins only (no refresh grants) a top-up is slow
          entry.coldStash.push(...(await entry.contender.coldTokens(entry, floor - entry.coldStash.length)));
        }
        const share = warmUp ? wanted : Math.floor(entry.coldStash.length / roundsLeft);
        tokens = entry.coldStash.splice(0, Math.min(wanted, share));
      } else tokens = await entry.contender.coldTokens(entry, wanted);
      if (new Set(tokens).size !== tokens.length) throw new Error('the cold pool has repeated tokens');
      return [
        { kind: 'bearer', title: 'cold', url: url(entry), path: '/users/me', tokens, consume: true, amount: tokens.length, connections: cfg.connections },
      ];
    },
  },
  {
    id: 'login',
    title: (cfg) => `POST /token password grant without pause, ${cfg.loginConnections} connections`,
    takesPart: (c) => Boolean(c.loginBody),
    // Longer than the other scenarios' warm-up: at a login every 7 ms, V8 goes on compiling
    // the login path for about half a minute (seen here: 300 functions optimized over 35 s,
    // 4,500 logins), and until then each login costs the event loop up to half as much again.
    warmup: (cfg) => cfg.loginWarmup,
    specs: (entry, cfg, seconds) => [
      { kind: 'form', title: 'login', url: url(entry), path: '/token', body: entry.contender.loginBody, connections: cfg.loginConnections, duration: Math.max(seconds, cfg.minLoginSeconds) },
    ],
  },
  {
    id: 'storm',
    title: (cfg) => `GET /users/me (${cfg.connections} connections, ${cfg.pool}-token pool) while ${cfg.loginConnections} connections log in without pause`,
    takesPart: (c) => Boolean(c.loginBody && c.mePath === '/users/me'),
    warmup: false, // both paths are warm from 'me' and 'login'
    specs: (entry, cfg, seconds) => [
      { kind: 'bearer', title: 'me', url: url(entry), path: '/users/me', tokens: entry.pool, connections: cfg.connections, duration: Math.max(seconds, cfg.minLoginSeconds) },
      { kind: 'form', title: 'login', url: url(entry), path: '/token', body: entry.contender.loginBody, connections: cfg.loginConnections, duration: Math.max(seconds, cfg.minLoginSeconds) },
    ],
  },
];

/**
 * Spawn to first 200 on the contender's readiness path, cfg.coldStarts times each, contenders
 * interleaved, each after waiting for a quiet machine. Resolves { id: { runsMs: [...], error? } }.
 */
export async function coldStart(contenders, ctx, cfg, log) {
  const times = cfg.coldStarts;
  const out = Object.fromEntries(contenders.map((c) => [c.id, { runsMs: [] }]));
  for (let i = 1; i <= times; i++) {
    for (const contender of contenders) {
      if (out[contender.id].error) continue;
      try {
        if (cfg.quietWait > 0) await waitForQuiet(cfg.quietWait * 1000);
        const entry = await startContender(contender, ctx, `coldstart${i}`);
        out[contender.id].runsMs.push(entry.startMs);
        await stop(entry.child);
        log(`  cold start ${i}/${times} ${contender.id}: ${entry.startMs.toFixed(0)} ms`);
      } catch (error) {
        out[contender.id].error = error.message;
        log(`  cold start ${contender.id} failed: ${error.message}`);
      }
    }
  }
  return out;
}
