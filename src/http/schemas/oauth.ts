import { Type } from 'typebox';

/** Form fields shared by /revoke (RFC 7009 §2.1) and /introspect (RFC 7662 §2.1). */
export const TokenParameter = Type.Object(
  {
    token: Type.Optional(Type.String({ maxLength: 8192, description: 'the access or refresh token' })),
    token_type_hint: Type.Optional(Type.String({ maxLength: 64, description: 'access_token or refresh_token (optional; ignored)' })),
    client_id: Type.Optional(Type.String({ maxLength: 256 })),
    client_secret: Type.Optional(Type.String({ maxLength: 512, format: 'password' })),
  },
  { additionalProperties: Type.String({ maxLength: 4096 }) },
);

export const IntrospectionResponse = Type.Object(
  {
    active: Type.Boolean(),
    scope: Type.Optional(Type.String()),
    client_id: Type.Optional(Type.String()),
    username: Type.Optional(Type.String()),
    token_type: Type.Optional(Type.String()),
    exp: Type.Optional(Type.Integer()),
    iat: Type.Optional(Type.Integer()),
    sub: Type.Optional(Type.String()),
    aud: Type.Optional(Type.String()),
    iss: Type.Optional(Type.String()),
    jti: Type.Optional(Type.String()),
  },
  { description: 'RFC 7662 §2.2 introspection response' },
);

/** RFC 8414 §2 authorization server metadata, as far as Gatehouse has it. */
export const ServerMetadata = Type.Object(
  {
    issuer: Type.String(),
    token_endpoint: Type.String(),
    revocation_endpoint: Type.String(),
    introspection_endpoint: Type.String(),
    jwks_uri: Type.String(),
    grant_types_supported: Type.Array(Type.String()),
    response_types_supported: Type.Array(Type.String()),
    token_endpoint_auth_methods_supported: Type.Array(Type.String()),
    revocation_endpoint_auth_methods_supported: Type.Array(Type.String()),
    introspection_endpoint_auth_methods_supported: Type.Array(Type.String()),
    scopes_supported: Type.Array(Type.String()),
    service_documentation: Type.String(),
  },
  { description: 'RFC 8414 authorization server metadata' },
);

export const Jwks = Type.Object(
  { keys: Type.Array(Type.Object({ kid: Type.String(), alg: Type.String(), use: Type.String(), kty: Type.String() }, { additionalProperties: true })) },
  { description: 'RFC 7517 JSON Web Key Set: public keys only' },
);
