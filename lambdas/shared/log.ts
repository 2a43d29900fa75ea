import { redact, redactDeep } from './redact';

/**
 * The logger every job core receives. In Lambda it is a Powertools Logger (which satisfies this
 * interface); in the CLI and tests it is a console or in-memory logger.
 */
export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly extra?: Record<string, unknown> | undefined;
}

/** Keeps every record, for tests and for the CLI's --verbose replay. */
export class MemoryLog implements Log {
  readonly records: LogRecord[] = [];
  debug(message: string, extra?: Record<string, unknown>): void {
    this.records.push({ level: 'debug', message, extra });
  }
  info(message: string, extra?: Record<string, unknown>): void {
    this.records.push({ level: 'info', message, extra });
  }
  warn(message: string, extra?: Record<string, unknown>): void {
    this.records.push({ level: 'warn', message, extra });
  }
  error(message: string, extra?: Record<string, unknown>): void {
    this.records.push({ level: 'error', message, extra });
  }
  /** Everything logged, as one string (for "no secret in the logs" assertions). */
  text(): string {
    return this.records
      .map((r) => `${r.level} ${r.message} ${r.extra ? JSON.stringify(r.extra) : ''}`)
      .join('\n');
  }
}

/** Discards everything. */
export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

/** The part of Powertools' Logger the adapter needs (its overloads want `extra` to be present). */
export interface PowertoolsLoggerLike {
  debug(message: string, extra: Record<string, unknown>): void;
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

/**
 * `log` with every message and every string inside `extra` (keys too, Errors as their message)
 * passed through the redactor first. Every Log that writes somewhere real is built with it.
 */
export function redactingLog(log: Log): Log {
  const clean = (extra: Record<string, unknown> | undefined) =>
    extra === undefined ? undefined : redactDeep(extra);
  return {
    debug: (message, extra) => log.debug(redact(message), clean(extra)),
    info: (message, extra) => log.info(redact(message), clean(extra)),
    warn: (message, extra) => log.warn(redact(message), clean(extra)),
    error: (message, extra) => log.error(redact(message), clean(extra)),
  };
}

/** A Powertools Logger behind the cores' Log interface, redacted (see redactingLog). */
export function powertoolsLog(logger: PowertoolsLoggerLike): Log {
  return redactingLog({
    debug: (message, extra) => logger.debug(message, extra ?? {}),
    info: (message, extra) => logger.info(message, extra ?? {}),
    warn: (message, extra) => logger.warn(message, extra ?? {}),
    error: (message, extra) => logger.error(message, extra ?? {}),
  });
}
