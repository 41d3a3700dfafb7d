import { Type, type Static } from 'typebox';

/** `/token` form fields (RFC 6749 §4.3, §4.4, §6); unknown parameters are ignored (§3.2). */
export const TokenRequest = Type.Object(
  {
    grant_type: Type.Optional(Type.String({ maxLength: 64, description: 'password (default), refresh_token or client_credentials' })),
    username: Type.Optional(Type.String({ maxLength: 256 })),
    password: Type.Optional(Type.String({ maxLength: 4096, format: 'password' })),
    scope: Type.Optional(Type.String({ maxLength: 2048, description: 'space-separated scopes' })),
    // As long as any token may be (8 KiB): a wrong kind of token is invalid_grant, not a malformed request.
    refresh_token: Type.Optional(Type.String({ maxLength: 8192 })),
    client_id: Type.Optional(Type.String({ maxLength: 256 })),
    client_secret: Type.Optional(Type.String({ maxLength: 512, format: 'password' })),
  },
  { additionalProperties: Type.String({ maxLength: 4096 }) },
);
export type TokenRequest = Static<typeof TokenRequest>;

export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer(),
  scope: Type.String(),
  refresh_token: Type.Optional(Type.String()),
});
