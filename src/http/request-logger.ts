import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Fastify gives every request a child logger bound to its request id. pino makes one by
 * serialising the bindings through the redaction paths, a few per cent of a cached
 * `/users/me`. This child is made on the first line a request writes, so requests that
 * log nothing (every one at the default level) never pay for it.
 */
export function lazyRequestLogger(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  // A route with its own level or serializers gets a real child at once: the rare case.
  if (options.level !== undefined || options.serializers !== undefined) return parent.child(bindings, options);
  return new LazyChild(parent as unknown as Logger, bindings);
}

class LazyChild implements FastifyBaseLogger {
  private made: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
  ) {}

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}

  get level(): string {
    return (this.made ?? this.parent).level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real().child(bindings, options) as unknown as FastifyBaseLogger;
  }

  private real(): Logger {
    return (this.made ??= this.parent.child(this.bindings));
  }

  private write(level: Level, args: unknown[]): void {
    const logger = this.made ?? (this.parent.isLevelEnabled(level) ? this.real() : undefined);
    if (logger !== undefined) (logger[level] as (...line: unknown[]) => void)(...args);
  }
}
