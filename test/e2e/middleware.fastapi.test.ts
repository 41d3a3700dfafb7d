import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PYTHON, pythonMissing, startExample, type RunningExample } from '../helpers/example.js';
import { exampleScenario } from '../helpers/example-scenario.js';
import { forgedToken } from '../helpers/guard-suite.js';
import { claimsOf, kidOf, startIssuer, type Issuer } from '../helpers/issuer.js';

// Skipped only when /usr/bin/python3 cannot import what the example needs; the reason names the packages.
describe('examples/fastapi: a FastAPI resource server verifying Gatehouse tokens with PyJWKClient', { skip: pythonMissing() }, () => {
  let issuer: Issuer;
  let api: RunningExample;
  before(async () => {
    issuer = await startIssuer();
    api = await startExample(PYTHON, ['examples/fastapi/app.py'], { GATEHOUSE_ISSUER: issuer.url });
  });
  after(async () => {
    await api?.stop();
    await issuer?.close();
  });

  it('protects its routes like the Node guards do', async () => {
    await exampleScenario(api.url, issuer);
  });

  it('refuses a token signed by another key, and one for another audience', async () => {
    const alice = await issuer.token('alice');
    const forged = await fetch(`${api.url}/me`, { headers: { authorization: `Bearer ${forgedToken(claimsOf(alice), kidOf(alice))}` } });
    assert.equal(forged.status, 401);
    const other = await startExample(PYTHON, ['examples/fastapi/app.py'], { GATEHOUSE_ISSUER: issuer.url, GATEHOUSE_AUDIENCE: 'https://api.example.com' });
    try {
      const res = await fetch(`${other.url}/me`, { headers: { authorization: `Bearer ${alice}` } });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    } finally {
      await other.stop();
    }
  });

  it('picks up a rotated key without a restart', async () => {
    const before = await issuer.token('alice');
    assert.equal((await fetch(`${api.url}/me`, { headers: { authorization: `Bearer ${before}` } })).status, 200);
    const kid = await issuer.rotate();
    const after = await issuer.token('alice');
    assert.equal(kidOf(after), kid);
    assert.equal((await fetch(`${api.url}/me`, { headers: { authorization: `Bearer ${after}` } })).status, 200);
  });
});
