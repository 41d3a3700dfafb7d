import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { lazyRequestLogger } from '../../src/http/request-logger.js';
import { createLogger } from '../../src/log.js';

function capture(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const parent = createLogger(level, sink);
  let children = 0;
  const child = parent.child.bind(parent);
  parent.child = ((...args: Parameters<typeof child>) => {
    children++;
    return child(...args);
  }) as typeof parent.child;
  return { parent: parent as unknown as FastifyBaseLogger, lines, children: () => children };
}

describe('per-request logger', () => {
  it('makes no child logger for a request that writes nothing at the level set', () => {
    const { parent, lines, children } = capture('warn');
    const log = lazyRequestLogger(parent, { reqId: 'req-1' }, {});
    log.info({ url: '/users/me' }, 'incoming request');
    log.debug('detail');
    assert.equal(children(), 0);
    assert.equal(lines.length, 0);
    assert.equal(log.level, 'warn');
  });

  it('writes through a child bound to the request id, redaction included, once one line is at the level', () => {
    const { parent, lines, children } = capture('warn');
    const log = lazyRequestLogger(parent, { reqId: 'req-2' }, {});
    log.warn({ password: 'hunter2' }, 'first');
    log.error('second');
    assert.equal(children(), 1);
    assert.deepEqual(
      lines.map((line) => [line['reqId'], line['msg'], line['password']]),
      [
        ['req-2', 'first', '[redacted]'],
        ['req-2', 'second', undefined],
      ],
    );
  });

  it('gives a route with its own level a real child at once', () => {
    const { parent, lines } = capture('warn');
    const log = lazyRequestLogger(parent, { reqId: 'req-3' }, { level: 'info' });
    log.info('shown');
    assert.deepEqual(lines.map((line) => line['msg']), ['shown']);
  });
});
