/** What every client command receives, and the input helpers they share. */
import { readFile } from 'node:fs/promises';
import { invalid } from '../flags.js';
import { ApiClient } from './http.js';

/** The flags every client command takes (API.md "Command line"). */
export interface ClientFlags {
  api: string;
  token?: string;
  json?: boolean;
}

export interface ClientContext {
  client: ApiClient;
  /** `--json`: machine-readable output instead of tables */
  json: boolean;
  /** writes to stdout */
  out: (text: string) => void;
  /** ms since the epoch (ages in tables) */
  now: () => number;
}

export function contextFrom(flags: ClientFlags): ClientContext {
  return {
    client: new ApiClient({ api: flags.api, ...(flags.token ? { token: flags.token } : {}) }),
    json: flags.json === true,
    out: (text) => void process.stdout.write(text),
    now: () => Date.now(),
  };
}

/** Pretty JSON, one value. */
export function printJson(ctx: ClientContext, value: unknown): void {
  ctx.out(`${JSON.stringify(value ?? null, null, 2)}\n`);
}

/** JSON from a file or, for `-`, from stdin. Unreadable or invalid input is a usage error (exit 2) naming the source. */
export async function readJsonInput(source: string): Promise<unknown> {
  const name = source === '-' ? 'stdin' : source;
  let text: string;
  try {
    text = source === '-' ? await readStdin() : await readFile(source, 'utf8');
  } catch (error) {
    throw invalid(`cannot read ${name}: ${(error as Error).message}`);
  }
  return parseJsonArg(text, name);
}

/** Parses JSON given on the command line or read from `name`; invalid JSON is a usage error naming it. */
export function parseJsonArg(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalid(`invalid JSON in ${name}: ${(error as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

/** A path segment for the URL: `web 1` → `web%201`. */
export const seg = (value: string | number): string => encodeURIComponent(String(value));
