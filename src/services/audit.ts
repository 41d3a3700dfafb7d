import type { Clock } from '../clock.js';
import type { Log } from '../log.js';
import type { AuditEvent, Store } from '../store/store.js';
import { uuidV7 } from '../uuid-v7.js';

export type AuditType =
  | 'login.success'
  | 'login.failure'
  | 'login.throttled'
  | 'password.rehashed'
  | 'password.changed'
  | 'password.change_failed'
  | 'user.created'
  | 'user.updated'
  | 'user.disabled'
  | 'user.deleted'
  | 'user.imported'
  | 'refresh.rotated'
  | 'refresh.reuse_detected'
  | 'session.ended'
  | 'token.revoked'
  | 'client.created'
  | 'client.deleted'
  | 'client.auth_failed'
  | 'keys.rotated';

/** Who made a change through the API: the user a token speaks for, or a client (client_credentials). */
export interface Actor {
  readonly userId: string | null;
  readonly username: string | null;
  readonly clientId: string;
  readonly ip: string | null;
}

/** The actor as an event's detail shows it. */
export function actorDetail(actor: Actor): Readonly<Record<string, unknown>> {
  return { actor: { user_id: actor.userId, username: actor.username, client_id: actor.clientId } };
}

export interface AuditQuery {
  readonly limit: number;
  readonly offset: number;
  readonly type?: string;
  readonly userId?: string;
}

/** What `/admin/audit` shows of an event. */
export interface AuditEventView {
  readonly id: string;
  readonly at: string;
  readonly type: string;
  readonly user_id: string | null;
  readonly username: string | null;
  readonly client_id: string | null;
  readonly ip: string | null;
  readonly detail: Readonly<Record<string, unknown>> | null;
}

export function toAuditEventView(event: AuditEvent): AuditEventView {
  return {
    id: event.id,
    at: new Date(event.at).toISOString(),
    type: event.type,
    user_id: event.userId,
    username: event.username,
    client_id: event.clientId,
    ip: event.ip,
    detail: event.detail,
  };
}

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
  private readonly listeners: Array<(event: AuditEvent) => void> = [];

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Log,
  ) {}

  record(type: AuditType, fields: AuditFields = {}): Promise<void> {
    return this.write(this.event(type, fields));
  }

  /** Records an event made by `event` that no store write has taken along. */
  write(event: AuditEvent): Promise<void> {
    this.announce(event);
    const write = this.store.audit.record(event).catch((error: unknown) => {
      this.log.error({ err: error, type: event.type }, 'audit event could not be written');
    });
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
    return write;
  }

  /**
   * An event that a store write records together with the change it describes, in one
   * transaction (a login's refresh family, a refresh rotation), so neither exists without the
   * other and the event costs no commit of its own. Once that write succeeds, `written` tells
   * the listeners.
   */
  event(type: AuditType, fields: AuditFields = {}): AuditEvent {
    const at = this.clock.now();
    return {
      id: uuidV7(at),
      at,
      type,
      userId: fields.userId ?? null,
      username: fields.username ?? null,
      clientId: fields.clientId ?? null,
      ip: fields.ip ?? null,
      detail: fields.detail ?? null,
    };
  }

  /** An event from `event` was stored with its change. */
  written(event: AuditEvent): void {
    this.announce(event);
  }

  private announce(event: AuditEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log.error({ err: error, type: event.type }, 'audit listener failed');
      }
    }
  }

  /** Called with every event as it is recorded (metrics count them); a listener that throws is logged, never felt by the caller. */
  onRecord(listener: (event: AuditEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Events newest first, optionally of one type or about one user. */
  list(query: AuditQuery): Promise<{ readonly events: readonly AuditEvent[]; readonly total: number }> {
    return this.store.audit.list(query);
  }

  /** Waits for the writes under way, before the store closes. */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
