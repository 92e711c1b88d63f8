/**
 * Structured logs (pino). Events are kebab-case and paired (`auction.fetching-cell-states` /
 * `auction.fetched-cell-states`); data goes in fields, never in the message text.
 *
 * Two formats: `json` (one JSON object a line, what scripts, tests and `auctor up` read) and
 * `pretty` (pino-pretty's readable lines, for a person at a terminal). Both write synchronously.
 */
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export type LogFormat = 'pretty' | 'json';

export interface LoggerOptions {
  /** pino level; defaults to $AUCTOR_LOG_LEVEL, else `info` */
  level?: string;
  /** where to write; defaults to stdout */
  destination?: NodeJS.WritableStream;
  /** fields on every line, e.g. the node name */
  base?: Record<string, unknown>;
  /** defaults to `json` */
  format?: LogFormat;
  /** pretty format: colour the level (default: when the destination is a terminal that takes colour) */
  colorize?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.AUCTOR_LOG_LEVEL ?? 'info';
  const settings = { level, base: { pid: process.pid, ...options.base } };
  // Synchronous stdout: pino's asynchronous default drops or reorders the last lines when the
  // process exits (seen with auctor.stopping/auctor.stopped), and scripts wait on these lines.
  const out = options.destination ?? pino.destination({ dest: 1, sync: true });
  if (options.format !== 'pretty') return pino(settings, out);
  const terminal = options.destination ? (options.destination as { isTTY?: boolean }).isTTY === true : process.stdout.isTTY === true;
  return pino(settings, prettyDestination(out, options.colorize ?? terminal));
}

/**
 * Formats each JSON line as it is written, in the caller's turn: pino-pretty's own transport
 * goes through a stream pipeline (or a worker), so the lines written just before
 * `process.exit` would be lost.
 */
function prettyDestination(out: NodeJS.WritableStream | DestinationStream, colorize: boolean): DestinationStream {
  // loaded only for the pretty format: everything else (tests, `auctor up`'s nodes) logs JSON
  const { prettyFactory, isColorSupported } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  const pretty = prettyFactory({
    colorize: colorize && isColorSupported,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,node',
    messageFormat: '{if node}{node} {end}{msg}',
    singleLine: true,
  });
  return { write: (line: string) => void out.write(pretty(line)) };
}

/** A logger that drops everything: for tests and tools that print their own output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
