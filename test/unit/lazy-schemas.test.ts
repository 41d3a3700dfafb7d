import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { lazyCompilers } from '../../src/http/lazy-schemas.js';

const require = createRequire(import.meta.url);
const loaded = (name: string): boolean => require.resolve(name) in require.cache;

const Body = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', minLength: 2 } },
} as const;
const Answer = { type: 'object', properties: { hello: { type: 'string' } } } as const;

function app() {
  // removeAdditional: false (as the server sets it) shows that ajv's options reach the lazy compiler.
  const server = Fastify({
    ajv: { customOptions: { removeAdditional: false } },
    schemaController: { compilersFactory: lazyCompilers() },
  });
  server.post('/hello', { schema: { body: Body, response: { 200: Answer } } }, async (request) => {
    const { name } = request.body as { name: string };
    return { hello: name, secret: 'never serialised' };
  });
  return server;
}

describe('lazy schema compilers', () => {
  it('load neither ajv nor fast-json-stringify until a request needs them', async () => {
    const server = app();
    await server.ready();
    assert.equal(loaded('@fastify/ajv-compiler'), false);
    assert.equal(loaded('@fastify/fast-json-stringify-compiler'), false);

    const ok = await server.inject({ method: 'POST', url: '/hello', payload: { name: 'ada' } });
    assert.equal(ok.statusCode, 200);
    assert.equal(loaded('@fastify/ajv-compiler'), true);
    assert.equal(loaded('@fastify/fast-json-stringify-compiler'), true);
    await server.close();
  });

  it('validate and serialise as the eager compilers do', async () => {
    const server = app();
    const ok = await server.inject({ method: 'POST', url: '/hello', payload: { name: 'ada' } });
    // The response schema still decides what goes out: the extra property is dropped.
    assert.deepEqual(ok.json(), { hello: 'ada' });

    for (const [payload, message] of [
      [{ name: 'a' }, 'body/name must NOT have fewer than 2 characters'],
      [{}, "body must have required property 'name'"],
      [{ name: 'ada', extra: 1 }, 'body must NOT have additional properties'],
    ] as const) {
      const bad = await server.inject({ method: 'POST', url: '/hello', payload });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().message, message);
    }
    // A valid request after failed ones is not reported with their errors.
    assert.equal((await server.inject({ method: 'POST', url: '/hello', payload: { name: 'bob' } })).statusCode, 200);
    await server.close();
  });
});
