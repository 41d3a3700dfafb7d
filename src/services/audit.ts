import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Log } from '../log.js';
import type { AuditEvent, Store } from '../store/store.js';

export type AuditType =
  | 'login.success'
  | 'login.failure'
  | 'login.throttled'
  | 'password.rehashed'
  | 'password.changed'
  | 'user.created'
  | 'user.updated'
  | 'user.disabled'
  | 'user.deleted'
  | 'user.imported'
  | 'refresh.rotated'
  | 'refresh.reuse_detected'
  | 'token.revoked'
  | 'client.created'
  | 'client.deleted'
  | 'client.auth_failed'
  | 'keys.rotated';

export interface AuditFields {
  readonly userId?: string | null;
  readonly username?: string | null;
  readonly clientId?: string | null;
  readonly ip?: string | null;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** Records security events in the store. Never blocks the answer and never fails it: a lost event is logged. */
export class Audit {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Log,
  ) {}

  record(type: AuditType, fields: AuditFields = {}): Promise<void> {
    const event: AuditEvent = {
      id: randomUUID(),
      at: this.clock.now(),
      type,
      userId: fields.userId ?? null,
      username: fields.username ?? null,
      clientId: fields.clientId ?? null,
      ip: fields.ip ?? null,
      detail: fields.detail ?? null,
    };
    const write = this.store.audit.record(event).catch((error: unknown) => {
      this.log.error({ err: error, type }, 'audit event could not be written');
    });
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
    return write;
  }

  /** Waits for the writes under way, before the store closes. */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
