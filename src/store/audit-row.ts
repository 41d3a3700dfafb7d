import type { Insertable } from 'kysely';
import type { AuditEventsTable } from './schema.js';
import type { AuditEvent } from './store.js';

/** The audit_events row of an event; the one mapping for every place that writes events. */
export function toAuditRow(event: AuditEvent): Insertable<AuditEventsTable> {
  return {
    id: event.id,
    at: event.at,
    type: event.type,
    user_id: event.userId,
    username: event.username,
    client_id: event.clientId,
    ip: event.ip,
    detail: event.detail === null ? null : JSON.stringify(event.detail),
  };
}
