import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jsonObjectOf, removeDir, runCli, tempDir } from '../helpers/server.js';

describe('gatehouse client', () => {
  let dir: string;
  let env: Record<string, string>;
  before(() => {
    dir = tempDir();
    env = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_LOG_LEVEL: 'warn' };
  });
  after(() => removeDir(dir));

  it('add --json prints exactly one JSON object with the id and a secret shown once', async () => {
    const res = await runCli(['client', 'add', 'billing', '--scope', 'invoices:read', '--scope', 'invoices:write', '--json'], env);
    assert.equal(res.code, 0, res.stderr);
    const body = jsonObjectOf<Record<string, string>>(res);
    assert.deepEqual(Object.keys(body), ['client_id', 'client_secret']);
    assert.match(body['client_secret'] as string, /^[A-Za-z0-9_-]{43}$/);
    assert.match(res.stderr, /registered confidential client "billing" \(scopes: invoices:read invoices:write\)/);

    const list = await runCli(['client', 'list', '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    const listed = jsonObjectOf<{ clients: Array<Record<string, unknown>> }>(list);
    const found = listed.clients.find((c) => c['client_id'] === body['client_id']);
    assert.ok(found);
    assert.equal(found['public'], false);
    assert.ok(!list.stdout.includes(body['client_secret'] as string));
  });

  it('add --public registers a client without a secret', async () => {
    const res = await runCli(['client', 'add', 'web app', '--public', '--json'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(Object.keys(jsonObjectOf(res)), ['client_id']);
    const text = await runCli(['client', 'add', 'mobile', '--public'], env);
    assert.match(text.stdout, /^client_id: [A-Za-z0-9_-]+\n$/);
  });

  it('add --scope "a b" reads as two scopes, as the OAuth scope parameter does', async () => {
    const res = await runCli(['client', 'add', 'reports', '--scope', 'reports:read reports:write', '--json'], env);
    assert.equal(res.code, 0, res.stderr);
    const id = jsonObjectOf<{ client_id: string }>(res).client_id;
    const { clients } = jsonObjectOf<{ clients: Array<{ client_id: string; scopes: string[] }> }>(await runCli(['client', 'list', '--json'], env));
    assert.deepEqual(clients.find((c) => c.client_id === id)?.scopes, ['reports:read', 'reports:write']);
  });

  it('delete removes a client; an unknown one fails with exit 1 and one line', async () => {
    const id = jsonObjectOf<{ client_id: string }>(await runCli(['client', 'add', 'temp', '--json'], env)).client_id;
    const del = await runCli(['client', 'delete', id], env);
    assert.equal(del.code, 0, del.stderr);
    const again = await runCli(['client', 'delete', id], env);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'gatehouse: No such client\n');
  });

  it('exits 1 with one stderr line for a bad scope, and 2 for bad usage', async () => {
    const bad = await runCli(['client', 'add', 'x', '--scope', 'a"b'], env);
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.equal(bad.stderr, 'gatehouse: scope "a\\"b" has characters RFC 6749 §3.3 does not allow\n');
    const usage = await runCli(['client', 'add'], env);
    assert.equal(usage.code, 2);
    assert.equal(usage.stderr, 'gatehouse: usage: gatehouse client add NAME [--public] [--scope S]... [--json]\n');
    const unknown = await runCli(['client', 'rename'], env);
    assert.equal(unknown.code, 2);
  });
});
