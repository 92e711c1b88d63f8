/**
 * Structured logs (pino). Events are kebab-case and paired (`auction.fetching-cell-states` /
 * `auction.fetched-cell-states`); data goes in fields, never in the message text.
 */
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export interface LoggerOptions {
  /** pino level; defaults to $AUCTOR_LOG_LEVEL, else `info` */
  level?: string;
  /** where to write; defaults to stdout */
  destination?: NodeJS.WritableStream;
  /** fields on every line, e.g. the node name */
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.AUCTOR_LOG_LEVEL ?? 'info';
  const settings = { level, base: { pid: process.pid, ...options.base } };
  // Synchronous stdout: pino's asynchronous default drops or reorders the last lines when the
  // process exits (seen with auctor.stopping/auctor.stopped), and scripts wait on these lines.
  return pino(settings, options.destination ?? pino.destination({ dest: 1, sync: true }));
}

/** A logger that drops everything: for tests and tools that print their own output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
