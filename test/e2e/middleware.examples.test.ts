import { after, before, describe, it } from 'node:test';
import { startExample, TSX } from '../helpers/example.js';
import { exampleScenario } from '../helpers/example-scenario.js';
import { startIssuer, type Issuer } from '../helpers/issuer.js';

describe('examples/: one orders API per framework, each started by one command', () => {
  let issuer: Issuer;
  before(async () => {
    issuer = await startIssuer();
  });
  after(() => issuer?.close());

  for (const framework of ['fastify', 'express', 'hono']) {
    it(`npx tsx examples/${framework}/server.ts protects its routes with Gatehouse tokens`, async () => {
      const api = await startExample(TSX, [`examples/${framework}/server.ts`], { GATEHOUSE_ISSUER: issuer.url });
      try {
        await exampleScenario(api.url, issuer);
      } finally {
        await api.stop();
      }
    });
  }
});
