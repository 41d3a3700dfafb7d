import { Type } from 'typebox';

export const ClientView = Type.Object(
  {
    client_id: Type.String(),
    name: Type.String(),
    public: Type.Boolean({ description: 'true: no secret (password and refresh grants only)' }),
    scopes: Type.Array(Type.String(), { description: 'scopes client_credentials may grant' }),
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Client' },
);

export const NewClient = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    public: Type.Optional(Type.Boolean({ default: false })),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 64 })),
  },
  { additionalProperties: false },
);

export const CreatedClient = Type.Object({
  client_id: Type.String(),
  client_secret: Type.Optional(Type.String({ description: 'shown once; only its hash is kept' })),
  name: Type.String(),
  public: Type.Boolean(),
  scopes: Type.Array(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
});

export const ClientList = Type.Object({ clients: Type.Array(ClientView), total: Type.Integer() });

export const ClientIdParams = Type.Object({ client_id: Type.String({ minLength: 1, maxLength: 256 }) });
