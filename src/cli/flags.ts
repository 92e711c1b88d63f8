/**
 * Flag parsing shared by the commands. A bad value is a usage error naming the field, which
 * `auctor` turns into exit status 2 (API.md).
 */
import { CommanderError, Option } from 'commander';
import type { LogFormat } from '../base/logger.js';
import { MAX_TIMER_MS } from '../models/limits.js';

export const INVALID_FIELD = 'auctor.invalidField';

export function invalid(message: string): CommanderError {
  return new CommanderError(2, INVALID_FIELD, message);
}

/** The flag's env form: `--crash-backoff-ms` is `AUCTOR_CRASH_BACKOFF_MS`. */
export function envName(flag: string): string {
  return `AUCTOR_${flag.toUpperCase().replace(/-/g, '_')}`;
}

/** A `--flag <value>` with its env form. */
export function flag(name: string, value: string, description: string): Option {
  return new Option(`--${name} <${value}>`, description).env(envName(name));
}

export function count(field: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw invalid(`invalid field: ${field}: "${value}" is not a whole number`);
    return n;
  };
}

/** A whole number in `min..max`. */
export function countIn(field: string, min: number, max: number) {
  const whole = count(field);
  return (value: string): number => {
    const n = whole(value);
    if (n < min || n > max) throw invalid(`invalid field: ${field}: must be in ${min}..${max}, got ${n}`);
    return n;
  };
}

/** A whole-number flag with its default. */
export function countFlag(name: string, description: string, fallback?: number): Option {
  // a duration becomes a timer, and Node fires a timer longer than 2^31-1 ms at once
  const ms = name.endsWith('-ms');
  const option = flag(name, ms ? 'ms' : 'n', description).argParser(ms ? countIn(name, 0, MAX_TIMER_MS) : count(name));
  return fallback === undefined ? option : option.default(fallback);
}

export function oneOf<T extends string>(field: string, allowed: readonly T[]) {
  return (value: string): T => {
    if (!(allowed as readonly string[]).includes(value)) throw invalid(`invalid field: ${field}: "${value}" is not one of ${allowed.join(', ')}`);
    return value as T;
  };
}

/** A comma list, each item checked: `--roles control,cell`, `--placement-tags a,b`. */
export function list(field: string, allowed?: readonly string[]) {
  return (value: string): string[] => {
    const items = value.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = allowed ? items.filter((i) => !allowed.includes(i)) : [];
    if ((allowed && items.length === 0) || bad.length > 0) {
      throw invalid(`invalid field: ${field}: ${bad.join(', ') || '(empty)'} is not one of ${allowed!.join(', ')}`);
    }
    return items;
  };
}

/** `busybox=/srv/rootfs,other=/x` into a map. */
export function rootfsList(value: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const item of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = item.indexOf('=');
    const name = at < 0 ? item : item.slice(0, at);
    if (!/^[a-z0-9_-]+$/i.test(name)) throw invalid(`invalid field: rootfs: "${item}" is not name=path`);
    entries[name] = at < 0 ? '' : item.slice(at + 1);
  }
  return entries;
}

export interface HostPort {
  host: string;
  port: number;
}

/** `127.0.0.1:8888`, `[::1]:8888` or `localhost:0` (0 = any free port). */
export function hostPort(field: string) {
  return (value: string): HostPort => {
    const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
    const port = match ? Number(match[3]) : NaN;
    if (!match || port > 65535) throw invalid(`invalid field: ${field}: "${value}" is not host:port`);
    return { host: match[1] ?? match[2]!, port };
  };
}

/** Whether `host` only listens on this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A node name (a cell's `cell_id`, the first segment of its actor paths): host-name characters and `:`, at most 128. */
export function nodeName(value: string): string {
  if (!NODE_NAME.test(value)) throw invalid(`invalid field: name: "${value.slice(0, 140)}" must match ${NODE_NAME.source}`);
  return value;
}
const NODE_NAME = /^[A-Za-z0-9._:-]{1,128}$/;

/** The log format asked for, else readable lines for a person at a terminal and JSON for programs. */
export function chooseLogFormat(asked: LogFormat | undefined, stdoutIsTerminal: boolean): LogFormat {
  return asked ?? (stdoutIsTerminal ? 'pretty' : 'json');
}
