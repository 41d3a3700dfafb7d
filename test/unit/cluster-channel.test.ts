import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Channel, ChannelError } from '../../src/cluster/channel.js';

/** Two ends of a link that delivers asynchronously, as IPC does (JSON, like node's default serialization). */
function link(): { primary: Channel; worker: Channel; cut(): void } {
  let up = true;
  const deliver = (to: () => Channel) => (message: unknown) => {
    if (!up) return false;
    const copy: unknown = JSON.parse(JSON.stringify(message));
    setImmediate(() => to().receive(copy));
    return true;
  };
  const primary: Channel = new Channel(deliver(() => worker));
  const worker: Channel = new Channel(deliver(() => primary));
  return { primary, worker, cut: () => (up = false) };
}

describe('cluster channel', () => {
  it('answers a question with what the handler returns, sync or async, either way round', async () => {
    const { primary, worker } = link();
    primary.handle('add', (payload) => {
      const [a, b] = payload as [number, number];
      return a + b;
    });
    worker.handle('echo', async (payload) => ({ echoed: payload }));
    assert.equal(await worker.ask('add', [2, 3]), 5);
    assert.deepEqual(await primary.ask('echo', 'hi'), { echoed: 'hi' });
  });

  it('rejects with the message of a failing handler, and for a kind nobody answers', async () => {
    const { primary, worker } = link();
    primary.handle('boom', () => {
      throw new Error('no counters');
    });
    await assert.rejects(worker.ask('boom'), (e: unknown) => e instanceof ChannelError && e.message === 'no counters');
    await assert.rejects(worker.ask('unknown'), (e: unknown) => e instanceof ChannelError && /nothing answers unknown/.test(e.message));
  });

  it('fails the questions still waiting when closed, and a question over a cut link at once', async () => {
    const { primary, worker, cut } = link();
    primary.handle('slow', () => new Promise(() => undefined));
    const waiting = worker.ask('slow');
    worker.close('the primary went away');
    await assert.rejects(waiting, /the primary went away/);
    cut();
    await assert.rejects(worker.ask('slow'), /cannot ask slow: the link is closed/);
  });

  it('leaves messages that are not its own to others', () => {
    const { worker } = link();
    assert.equal(worker.receive({ cmd: 'NODE_CLUSTER' }), false);
    assert.equal(worker.receive('text'), false);
    assert.equal(worker.receive({ gatehouse: 'answer', id: 999, ok: true }), true);
  });
});
