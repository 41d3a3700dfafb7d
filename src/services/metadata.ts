import type { Config } from '../config.js';
import { scopesForRoles } from '../tokens/scopes.js';

/** RFC 8414 §2 authorization server metadata. */
export interface ServerMetadata {
  readonly issuer: string;
  readonly token_endpoint: string;
  readonly revocation_endpoint: string;
  readonly introspection_endpoint: string;
  readonly jwks_uri: string;
  readonly grant_types_supported: readonly string[];
  readonly response_types_supported: readonly string[];
  readonly token_endpoint_auth_methods_supported: readonly string[];
  readonly revocation_endpoint_auth_methods_supported: readonly string[];
  readonly introspection_endpoint_auth_methods_supported: readonly string[];
  readonly scopes_supported: readonly string[];
  readonly service_documentation: string;
}

/** What clients discover; built once from the config and the token endpoint's grants. */
export function serverMetadata(config: Config, grantTypes: readonly string[]): ServerMetadata {
  const base = config.issuer;
  return {
    issuer: base,
    token_endpoint: `${base}/token`,
    revocation_endpoint: `${base}/revoke`,
    introspection_endpoint: `${base}/introspect`,
    jwks_uri: `${base}/.well-known/jwks.json`,
    grant_types_supported: grantTypes,
    // No authorization endpoint: no response types (RFC 8414 §2 requires the member).
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    // Scopes the roles can grant; clients may be registered with scopes of the team's own APIs.
    scopes_supported: scopesForRoles(Object.keys(config.roleScopes), config.roleScopes),
    service_documentation: `${base}/docs`,
  };
}
