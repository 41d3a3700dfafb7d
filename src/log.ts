import pino, { type Logger } from 'pino';

export type Log = Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;

/** Everything that may carry a credential; pino replaces it before the line is written. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'password',
  'client_secret',
  'refresh_token',
  'access_token',
  'token',
  '*.password',
  '*.client_secret',
  '*.refresh_token',
  '*.access_token',
  '*.token',
];

interface LoggedRequest {
  readonly method?: string;
  readonly url?: string;
  readonly ip?: string;
  readonly id?: string;
}

/** Requests are logged by path only: a query string may carry a token or a password. */
function serializeRequest(request: LoggedRequest): Record<string, unknown> {
  const url = request.url ?? '';
  const query = url.indexOf('?');
  return { method: request.method, path: query === -1 ? url : url.slice(0, query), remoteAddress: request.ip };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { req: serializeRequest, err: pino.stdSerializers.err },
    },
    destination,
  );
}
