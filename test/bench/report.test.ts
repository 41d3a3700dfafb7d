import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateGoals, renderTables, summarise, unsteady } from '../../bench/report.mjs';

const ceilings = {
  es256: { micros: 100, ceilingRps: 10_000, otherCpu: 0, samples: [{ micros: 100 }, { micros: 104 }] },
  argon2id: { msPerVerify: 20, ceilingRps: 100, parallelRps: 90, cores: 2, otherCpu: 0, params: { memoryCost: 19456, timeCost: 2, parallelism: 1 }, samples: [{ msPerVerify: 20 }, { msPerVerify: 25 }] },
  bcrypt: { msPerVerify: 250, ceilingRps: 8, cores: 2, otherCpu: 0 },
};

describe('bench report: unsteady figures', () => {
  it('names the figures whose rounds or samples differ by more than 15%, and only those', () => {
    const figures = {
      me: { hello: { roundsRps: [16_000, 19_200] }, gatehouse: { roundsRps: [10_000, 11_000] } },
      cold: { gatehouse: { roundsRps: [3_100, 4_700] } },
      storm: { gatehouse: { me: { roundsRps: [3_000, 3_400] } } },
      ceilings,
    };
    assert.deepEqual(unsteady(figures), [
      { what: 'me/hello', percent: 20 },
      { what: 'cold/gatehouse', percent: 52 },
      { what: 'ceiling argon2id', percent: 25 },
    ]);
  });

  it('says nothing of a single round, or of a failed one', () => {
    assert.deepEqual(unsteady({ me: { port: { roundsRps: [7_000] }, seed: { roundsRps: [null, 1_000] } }, ceilings: {} }), []);
  });

  it('prints the note under the goals', () => {
    const figures = { me: { gatehouse: { rps: 10_000, roundsRps: [8_000, 12_000], ok: 1, non2xx: 0 } }, ceilings, goals: [] };
    const meta = { contenders: [{ id: 'gatehouse', status: 'ran' }], scenarios: [{ id: 'me', title: 'GET /users/me' }] };
    const text = renderTables(figures, meta);
    assert.match(text, /NOTE: rounds or samples differ by more than 15% \(highest ÷ lowest\) in: me\/gatehouse 50%, ceiling argon2id 25%\./);
  });
});

describe('bench report: all cores at once', () => {
  it('prints the ES256 all-cores row and how the never-seen tokens compare with it, next to the logins line', () => {
    const figures = {
      cold: { gatehouse: { rps: 4_000, roundsRps: [4_000, 4_000], ok: 1, non2xx: 0 } },
      login: { gatehouse: { rps: 72, roundsRps: [72, 72], ok: 1, non2xx: 0 } },
      ceilings: { ...ceilings, es256: { ...ceilings.es256, cores: 2, parallelRps: 16_000 } },
      goals: [],
    };
    const meta = {
      contenders: [{ id: 'gatehouse', status: 'ran' }],
      scenarios: [
        { id: 'cold', title: 'never-seen tokens' },
        { id: 'login', title: 'logins' },
      ],
    };
    const text = renderTables(figures, meta);
    assert.match(text, /the same, 2 at once \(measured; one thread each\) +125\.0 µs +16,000/);
    assert.match(text, /logins\/s ÷ argon2id verifies\/s with all 2 cores at once in-process = 0\.80 \(that rate is 0\.90 of the ceiling/);
    assert.match(text, /never-seen tokens\/s ÷ ES256 verifies\/s with all 2 cores at once in-process = 0\.25 \(that rate is 1\.60 of the one-thread ceiling/);
  });

  it('leaves both out when the ceilings carry no all-cores figure (an older results file)', () => {
    const figures = { cold: { gatehouse: { rps: 4_000, roundsRps: [4_000], ok: 1, non2xx: 0 } }, ceilings: { ...ceilings, argon2id: { ...ceilings.argon2id, parallelRps: undefined } }, goals: [] };
    const meta = { contenders: [{ id: 'gatehouse', status: 'ran' }], scenarios: [{ id: 'cold', title: 'never-seen tokens' }] };
    const text = renderTables(figures, meta);
    assert.doesNotMatch(text, /at once \(measured; one thread each\)/);
    assert.doesNotMatch(text, /For reference/);
  });
});

describe('bench report: ratios of rounds run side by side', () => {
  const goal = (figures: object, id: string) => evaluateGoals(figures).find((g) => g.id === id);
  const round = (rps: number, pairedCeilingRps?: number) => ({ rps, latencyMs: { p50: 1, p99: 2 }, ok: 1, non2xx: 0, errors: 0, pairedCeilingRps });

  it('holds each round against the same round of the other contender, and takes the median of those ratios', () => {
    const figures = {
      me: { gatehouse: summarise([round(30_000), round(40_000), round(46_000)]), port: summarise([round(19_000), round(29_000), round(30_000)]) },
    };
    // Round by round: 1.579, 1.379, 1.533. The ratio of the medians would be 40 000 ÷ 29 000 = 1.379.
    const meVsPort = goal(figures, 'me_vs_port');
    assert.equal(meVsPort?.value?.toFixed(3), '1.533');
    assert.equal(meVsPort?.verdict, 'PASS');
    assert.deepEqual(meVsPort?.byRound?.map((r: number) => r.toFixed(3)), ['1.579', '1.379', '1.533']);
    // The goals table prints them after the verdict.
    const meta = { contenders: [{ id: 'gatehouse', status: 'ran' }], scenarios: [{ id: 'me', title: 'GET /users/me' }] };
    const text = renderTables({ ...figures, ceilings, goals: evaluateGoals(figures) }, meta);
    assert.match(text, /hand-written port +≥ 1\.5 +1\.53 +PASS +1\.58 1\.38 1\.53 /);
  });

  it('falls back to the ratio of the medians when a round of either is missing', () => {
    const figures = { me: { gatehouse: summarise([round(30_000), round(40_000)]), port: summarise([round(29_000)]) } };
    assert.equal(goal(figures, 'me_vs_port')?.value?.toFixed(3), (35_000 / 29_000).toFixed(3));
    assert.equal(goal(figures, 'me_vs_port')?.byRound, null);
  });

  it('holds each cold round against the ceiling measured right before it, else against the median ceiling', () => {
    const paired = { cold: { gatehouse: summarise([round(7_000, 10_000), round(9_400, 12_000), round(9_500, 12_000)]) }, ceilings };
    // 0.700, 0.783, 0.792; the ratio of the medians would be 9 400 ÷ 10 000 = 0.94.
    assert.equal(goal(paired, 'cold_vs_es256')?.value?.toFixed(3), '0.783');
    const unpaired = { cold: { gatehouse: summarise([round(7_000), round(9_400), round(9_500)]) }, ceilings };
    assert.equal(goal(unpaired, 'cold_vs_es256')?.value?.toFixed(3), '0.940');
  });
});
