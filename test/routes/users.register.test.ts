import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, postForm, type TestApp } from '../helpers/app.js';

const register = (app: TestApp, payload: unknown, headers: Record<string, string> = {}) =>
  app.server.inject({ method: 'POST', url: '/users', headers, payload: payload as object });

describe('POST /users with GATEHOUSE_REGISTRATION=open', () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp({ GATEHOUSE_REGISTRATION: 'open' });
  });
  after(() => app.close());

  it('creates an enabled user with the role `user`, answers 201 with the profile, and the user can log in', async () => {
    const res = await register(app, { username: 'Alice', password: 'correct horse', email: 'alice@example.com', full_name: 'Alice Liddell' });
    assert.equal(res.statusCode, 201);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const body = res.json();
    assert.match(body.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(body, { id: body.id, username: 'Alice', email: 'alice@example.com', full_name: 'Alice Liddell', disabled: false, roles: ['user'] });
    assert.ok(!res.body.includes('correct horse'));

    const token = await postForm(app, '/token', { username: 'alice', password: 'correct horse' });
    assert.equal(token.statusCode, 200);
    assert.equal(token.json().scope, 'me');

    await app.services.audit.flush();
    const [event] = (await app.services.audit.list({ limit: 1, offset: 0, type: 'user.created', userId: body.id })).events;
    assert.deepEqual([event?.username, event?.ip, event?.detail], ['Alice', '127.0.0.1', { via: 'registration' }]);
  });

  it('needs only username and password', async () => {
    const res = await register(app, { username: 'bob', password: 'bob password' });
    assert.equal(res.statusCode, 201);
    assert.deepEqual({ ...(res.json() as object), id: '' }, { id: '', username: 'bob', email: null, full_name: null, disabled: false, roles: ['user'] });
  });

  it('answers one 409 for a taken name, whatever its case or Unicode spelling, echoing nothing back', async () => {
    await register(app, { username: 'carol', password: 'carol password' });
    const answers = [];
    // "ｃａｒｏｌ" is fullwidth: NFKC makes it "carol".
    for (const username of ['carol', 'CAROL', 'Carol', 'ｃａｒｏｌ']) {
      const res = await register(app, { username, password: 'another password' });
      assert.equal(res.statusCode, 409, username);
      assert.equal(res.headers['cache-control'], 'no-store');
      answers.push(res.body);
    }
    assert.deepEqual(new Set(answers).size, 1);
    assert.deepEqual(JSON.parse(answers[0] ?? ''), { error: 'conflict', error_description: 'This username is taken', detail: 'This username is taken' });
    // The first carol still logs in with her own password.
    assert.equal((await postForm(app, '/token', { username: 'carol', password: 'carol password' })).statusCode, 200);
    assert.equal((await postForm(app, '/token', { username: 'carol', password: 'another password' })).statusCode, 400);
  });

  it('does not take roles or the disabled flag from the body', async () => {
    for (const [field, value] of [
      ['roles', ['admin']],
      ['disabled', true],
      ['id', 'chosen-id'],
    ] as const) {
      const res = await register(app, { username: 'mallory', password: 'mallory password', [field]: value });
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        error: 'invalid_request',
        error_description: `body.${field} is not accepted here`,
        detail: `body.${field} is not accepted here`,
      });
    }
    assert.equal(await app.services.users.findByUsername('mallory'), undefined);
  });

  it('applies the username and password rules, and bounds every field', async () => {
    const cases: Array<[unknown, string, string]> = [
      [{ username: 'erin', password: 'short' }, 'policy_violation', 'Password must be at least 8 characters'],
      [{ username: 'has space', password: 'long enough' }, 'policy_violation', 'username may contain only letters, digits and . _ @ + -'],
      [{ username: 'аdmin', password: 'long enough' }, 'policy_violation', 'username must not mix letters of different scripts'],
      [{ username: 'erin', password: 'long enough', email: 'nope' }, 'policy_violation', 'email is not a valid address'],
      [{ username: 'erin' }, 'invalid_request', 'body.password is required'],
      [{ username: 'e'.repeat(257), password: 'long enough' }, 'invalid_request', 'body.username must NOT have more than 256 characters'],
      [{ username: 'erin', password: 'p'.repeat(4097) }, 'invalid_request', 'body.password must NOT have more than 4096 characters'],
      [{ username: 'erin', password: 'long enough', full_name: 'f'.repeat(257) }, 'invalid_request', 'body.full_name must NOT have more than 256 characters'],
      [{ username: 'erin', password: 'long enough', email: `${'e'.repeat(250)}@x.io` }, 'invalid_request', 'body.email must NOT have more than 254 characters'],
      [{ username: 7, password: 'long enough' }, 'invalid_request', 'body.username must be string'],
    ];
    for (const [payload, error, detail] of cases) {
      const res = await register(app, payload);
      assert.equal(res.statusCode, 400, detail);
      assert.deepEqual(res.json(), { error, error_description: detail, detail });
    }
    assert.equal(await app.services.users.findByUsername('erin'), undefined);
  });

  it('takes JSON only: a form post answers 415', async () => {
    const res = await register(app, 'username=frank&password=frank+password', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(res.statusCode, 415);
    assert.deepEqual(res.json(), {
      error: 'invalid_request',
      error_description: 'Content-Type must be application/json',
      detail: 'Content-Type must be application/json',
    });
    assert.equal(await app.services.users.findByUsername('frank'), undefined);
  });

  it('appears in /openapi.json without a security requirement', async () => {
    const doc = (await app.server.inject('/openapi.json')).json();
    const operation = doc.paths['/users'].post;
    assert.equal(operation.security, undefined);
    assert.deepEqual(Object.keys(operation.responses).sort(), ['201', '400', '403', '409', '415']);
    assert.deepEqual(operation.requestBody.content['application/json'].schema.required, ['username', 'password']);
  });
});

describe('POST /users: a taken name costs what a new one does', () => {
  let app: TestApp;
  let hashes = 0;
  before(async () => {
    // Counting hashes rather than timing them: the answer for a taken name must come after one argon2id hash, as for a new name.
    app = await createTestApp({ GATEHOUSE_REGISTRATION: 'open' }, { hasher: (real) => ({ ...real, hash: (p) => (hashes++, real.hash(p)) }) });
  });
  after(() => app.close());

  it('hashes the password before it learns the name is taken', async () => {
    assert.equal((await register(app, { username: 'dave', password: 'dave password' })).statusCode, 201);
    assert.equal(hashes, 1);
    assert.equal((await register(app, { username: 'DAVE', password: 'other password' })).statusCode, 409);
    assert.equal(hashes, 2);
  });
});

describe('POST /users with registration closed (the default)', () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp();
  });
  after(() => app.close());

  it('answers 403 registration_closed, whatever the body, and creates nobody', async () => {
    for (const [payload, headers] of [
      [{ username: 'alice', password: 'correct horse' }, {}],
      [{ roles: ['admin'] }, {}],
      ['{not json', { 'content-type': 'application/json' }],
    ] as const) {
      const res = await register(app, payload, headers);
      assert.equal(res.statusCode, 403);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers['www-authenticate'], undefined);
      assert.deepEqual(res.json(), { error: 'registration_closed', error_description: 'Registration is closed', detail: 'Registration is closed' });
    }
    assert.equal(await app.services.users.findByUsername('alice'), undefined);
  });
});
