/**
 * Requests and answers over a cluster IPC link (a worker's `process`, or the primary's handle
 * on a worker). Either side can ask; each side answers the kinds it has handlers for. Only
 * messages tagged as Gatehouse's are looked at, so other users of the link are left alone.
 */

export type Handler = (payload: unknown) => unknown;

interface Ask {
  readonly gatehouse: 'ask';
  readonly id: number;
  readonly kind: string;
  readonly payload: unknown;
}

interface Answer {
  readonly gatehouse: 'answer';
  readonly id: number;
  readonly ok: boolean;
  readonly value?: unknown;
  /** A message only: an error's details stay in the process that had it. */
  readonly error?: string;
}

/** A peer that did not answer in this long is taken as gone; the caller fails closed. */
const ANSWER_TIMEOUT_MS = 5_000;

export class ChannelError extends Error {
  override readonly name = 'ChannelError';
}

export class Channel {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void; timer: NodeJS.Timeout }>();

  private readonly handlers = new Map<string, Handler>();

  constructor(private readonly send: (message: Ask | Answer) => boolean) {}

  /** Answers questions of this kind from now on. */
  handle(kind: string, handler: Handler): this {
    this.handlers.set(kind, handler);
    return this;
  }

  /** Asks the peer; rejects with ChannelError if it refuses, fails, or does not answer in time. */
  ask(kind: string, payload: unknown = null): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, { gatehouse: 'answer', id, ok: false, error: `no answer to ${kind}` }), ANSWER_TIMEOUT_MS);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
      try {
        if (!this.send({ gatehouse: 'ask', id, kind, payload })) throw new Error('the link is closed');
      } catch (error) {
        this.settle(id, { gatehouse: 'answer', id, ok: false, error: `cannot ask ${kind}: ${(error as Error).message}` });
      }
    });
  }

  /** Feed every message the link receives; returns whether it was one of this channel's. */
  receive(message: unknown): boolean {
    if (!isTagged(message)) return false;
    if (message.gatehouse === 'answer') this.settle(message.id, message);
    else void this.answer(message);
    return true;
  }

  /** Fails every question still waiting (the peer went away). */
  close(reason: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id, { gatehouse: 'answer', id, ok: false, error: reason });
  }

  private async answer(ask: Ask): Promise<void> {
    const handler = this.handlers.get(ask.kind);
    let reply: Answer;
    try {
      if (!handler) throw new Error(`nothing answers ${ask.kind}`);
      reply = { gatehouse: 'answer', id: ask.id, ok: true, value: await handler(ask.payload) };
    } catch (error) {
      reply = { gatehouse: 'answer', id: ask.id, ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    try {
      this.send(reply);
    } catch {
      // The asker is gone; its own timeout or close() settles its side.
    }
  }

  private settle(id: number, answer: Answer): void {
    const waiter = this.pending.get(id);
    if (!waiter) return;
    this.pending.delete(id);
    clearTimeout(waiter.timer);
    if (answer.ok) waiter.resolve(answer.value);
    else waiter.reject(new ChannelError(answer.error ?? 'failed'));
  }
}

function isTagged(message: unknown): message is Ask | Answer {
  if (typeof message !== 'object' || message === null) return false;
  const { gatehouse, id } = message as { gatehouse?: unknown; id?: unknown };
  return (gatehouse === 'ask' || gatehouse === 'answer') && typeof id === 'number';
}
