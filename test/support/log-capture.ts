/** A real (pino) logger whose lines a test reads back, parsed. */
import { createLogger, type Logger } from '../../src/base/logger.js';

export interface CapturedLine {
  msg: string;
  level: number;
  [field: string]: unknown;
}

export function captureLogs(): { logger: Logger; lines: CapturedLine[]; named(msg: string): CapturedLine[] } {
  const lines: CapturedLine[] = [];
  const destination = { write: (text: string) => void lines.push(JSON.parse(text) as CapturedLine) } as unknown as NodeJS.WritableStream;
  return { logger: createLogger({ level: 'debug', destination }), lines, named: (msg) => lines.filter((l) => l.msg === msg) };
}
