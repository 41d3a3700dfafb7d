/**
 * One error model for the whole server. Services throw these; the HTTP layer maps each
 * to a status, headers and body exactly once (http/plugins/errors.ts). Messages are safe
 * to show to clients: they never carry a token, password, secret or hash.
 */
export abstract class GatehouseError extends Error {
  abstract readonly status: number;
  /** Stable machine-readable code; tests assert it. */
  abstract readonly code: string;
  override get name(): string {
    return this.constructor.name;
  }
}

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'slow_down'
  | 'temporarily_unavailable';

/** RFC 6749 §5.2 error of the token, revocation and introspection endpoints. */
export class OAuthError extends GatehouseError {
  readonly status: number;
  readonly code: OAuthErrorCode;
  /** Seconds, for 429 and 503 answers. */
  readonly retryAfter: number | undefined;
  constructor(code: OAuthErrorCode, description: string, status = 400, retryAfter?: number) {
    super(description);
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

export class InvalidRequest extends OAuthError {
  constructor(description: string) {
    super('invalid_request', description);
  }
}

/** RFC 6749 §5.2: invalid_client is 401 with a challenge naming the scheme the client used. */
export class InvalidClient extends OAuthError {
  constructor(description = 'Client authentication failed') {
    super('invalid_client', description, 401);
  }
}

export class InvalidGrant extends OAuthError {
  constructor(description: string) {
    super('invalid_grant', description);
  }
}

export class UnauthorizedClient extends OAuthError {
  constructor(description: string) {
    super('unauthorized_client', description);
  }
}

export class UnsupportedGrantType extends OAuthError {
  constructor(grantType: string) {
    super('unsupported_grant_type', `grant_type ${excerpt(grantType)} is not supported`);
  }
}

export class InvalidScope extends OAuthError {
  constructor(description: string) {
    super('invalid_scope', description);
  }
}

/**
 * Too many attempts: answered 429 with Retry-After, without checking the password. The text
 * says attempts, not failed ones: an attempt counts as failed until its password is found
 * right, so parallel logins can be held back too.
 */
export class SlowDown extends OAuthError {
  constructor(retryAfterSeconds: number) {
    super('slow_down', 'Too many password attempts; try again later', 429, retryAfterSeconds);
  }
}

export type BearerErrorCode = 'missing_token' | 'invalid_token' | 'insufficient_scope';

/** RFC 6750 §3 failure of a protected resource. */
export class BearerError extends GatehouseError {
  readonly status: number;
  readonly code: BearerErrorCode;
  /** Scopes the resource needs, for the insufficient_scope challenge. */
  readonly scope: readonly string[];
  constructor(code: BearerErrorCode, detail: string, scope: readonly string[] = []) {
    super(detail);
    this.code = code;
    this.status = code === 'insufficient_scope' ? 403 : 401;
    this.scope = scope;
  }
}

export const NOT_AUTHENTICATED = 'Not authenticated';
export const INVALID_CREDENTIALS = 'Could not validate credentials';
export const NOT_ENOUGH_PERMISSIONS = 'Not enough permissions';

/** RFC 6750 §3: the challenge says what went wrong; no token at all gets a bare challenge. */
export function bearerChallenge(error: BearerError): string {
  switch (error.code) {
    case 'missing_token':
      return 'Bearer';
    case 'invalid_token':
      return 'Bearer error="invalid_token"';
    case 'insufficient_scope':
      // RFC 6749 §3.3 scope tokens contain neither `"` nor `\`, so they need no escaping here.
      return `Bearer error="insufficient_scope", scope="${error.scope.join(' ')}"`;
  }
}

export class NotFound extends GatehouseError {
  readonly status = 404;
  readonly code = 'not_found';
}

export class Conflict extends GatehouseError {
  readonly status = 409;
  readonly code = 'conflict';
}

/** Input that is well-formed but breaks a rule (password policy, username rules, ...). */
export class PolicyViolation extends GatehouseError {
  readonly status = 400;
  readonly code = 'policy_violation';
}

/** A password the caller had to prove (the current one, to set a new one) did not match. */
export class IncorrectPassword extends GatehouseError {
  readonly status = 400;
  readonly code = 'incorrect_password';
}

/** Self-registration is switched off (GATEHOUSE_REGISTRATION=closed). */
export class RegistrationClosed extends GatehouseError {
  readonly status = 403;
  readonly code = 'registration_closed';
  constructor() {
    super('Registration is closed');
  }
}

/** A dependency (store, revocation list, hash pool) cannot answer; fail closed. */
export class Unavailable extends GatehouseError {
  readonly status = 503;
  readonly code = 'temporarily_unavailable';
  readonly retryAfter: number;
  constructor(message: string, retryAfterSeconds = 1) {
    super(message);
    this.retryAfter = retryAfterSeconds;
  }
}

/** A bad configuration value; the message names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Bad command-line usage: exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * A user-supplied value as an error message may quote it: JSON-quoted, on one line (control
 * characters, line and paragraph separators and bidirectional controls escaped, so it cannot
 * break the line or reorder the text around it), at most `max` characters of it, and
 * "…" after the closing quote when it was cut, so what is between the quotes is the
 * value's own start.
 */
export function excerpt(value: string, max = 60): string {
  // Code points, so that a cut never splits a surrogate pair.
  const chars = [...value.slice(0, 2 * max + 2)];
  const cut = chars.length > max;
  const quoted = JSON.stringify(cut ? chars.slice(0, max).join('') : value).replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return cut ? `${quoted}…` : quoted;
}
