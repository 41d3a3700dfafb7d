import { Type } from 'typebox';
import { PageFields } from './common.js';

export const AuditQuery = Type.Object(
  {
    ...PageFields,
    type: Type.Optional(Type.String({ pattern: '^[a-z_.]{1,64}$', description: 'only events of this type, e.g. login.failure' })),
    user_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'only events about this user' })),
  },
  { additionalProperties: false },
);

export const AuditEvent = Type.Object({
  id: Type.String(),
  at: Type.String({ format: 'date-time' }),
  type: Type.String(),
  user_id: Type.Union([Type.String(), Type.Null()], { description: 'the user the event is about' }),
  username: Type.Union([Type.String(), Type.Null()]),
  client_id: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()], {
    description: 'event-specific; `actor` names who made a change through the API',
  }),
});

export const AuditList = Type.Object({ total: Type.Integer(), events: Type.Array(AuditEvent) });
