/**
 * The `runc` command line, the backend's only way to make and end containers. Every container of
 * a backend lives in the backend's own runc state root (`--root`, default `<dataDir>/runc`), so
 * `runc list` there lists exactly that backend's containers, and two cells on one machine never
 * see (or adopt) each other's.
 */
import { execFile, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export interface RuncState {
  id: string;
  /** the init's host pid; 0 once stopped */
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
}

const COMMAND_TIMEOUT_MS = 30_000;

/** The executable `name` on `PATH`, as a shell would find it; undefined when there is none. */
export function findOnPath(name: string, pathEnv = process.env.PATH ?? ''): string | undefined {
  if (isAbsolute(name)) return executable(name) ? name : undefined;
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class Runc {
  constructor(
    /** absolute path of the runc binary */
    readonly path: string,
    /** runc's state root */
    readonly root: string,
  ) {}

  /**
   * `runc run --detach`: creates and starts the container. runc returns once the init runs and
   * leaves nothing attached: the init's stdio (and runc's own errors) go to `logFile`.
   */
  async run(id: string, bundle: string, logFile: string): Promise<void> {
    const log = openSync(logFile, 'a');
    try {
      const child = spawn(this.path, ['--root', this.root, 'run', '--detach', '--bundle', bundle, id], {
        stdio: ['ignore', log, log],
        env: { PATH: process.env.PATH ?? '' },
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
      const code = await new Promise<number | null>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (c) => resolve(c));
      }).finally(() => clearTimeout(timer));
      if (code !== 0) throw new Error(`runc run ${id} exited with ${code}`);
    } finally {
      closeSync(log);
    }
  }

  /** Every container in the root. */
  async list(): Promise<RuncState[]> {
    const out = await this.command(['list', '--format', 'json']);
    const parsed = JSON.parse(out.trim() || 'null') as RuncState[] | null;
    return parsed ?? [];
  }

  /** The container's state, or undefined when runc does not know it. */
  async state(id: string): Promise<RuncState | undefined> {
    try {
      return JSON.parse(await this.command(['state', id])) as RuncState;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /** `runc delete --force`: KILLs whatever runs in it, removes its state and cgroups. */
  async delete(id: string): Promise<void> {
    try {
      await this.command(['delete', '--force', id]);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }

  /** Host pids of every process in the container, the init's included. */
  async ps(id: string): Promise<number[]> {
    return (JSON.parse((await this.command(['ps', '--format', 'json', id])).trim() || '[]') as number[] | null) ?? [];
  }

  /** argv of a `runc exec` of the process described in `processFile`, its host pid to `pidFile`. */
  execArgv(id: string, processFile: string, pidFile: string): string[] {
    return [this.path, '--root', this.root, 'exec', '--pid-file', pidFile, '--process', processFile, id];
  }

  private command(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.path,
        ['--root', this.root, ...args],
        { timeout: COMMAND_TIMEOUT_MS, env: { PATH: process.env.PATH ?? '' }, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) reject(new RuncError(`runc ${args.join(' ')}: ${lastLine(stderr) || error.message}`, stderr));
          else resolve(stdout);
        },
      );
    });
  }
}

export class RuncError extends Error {
  constructor(message: string, readonly stderr: string) {
    super(message);
    this.name = 'RuncError';
  }
}

/** runc's "container does not exist" (state, delete, ps of an unknown id). */
function isMissing(error: unknown): boolean {
  return error instanceof RuncError && /does not exist/i.test(error.stderr);
}

/** The last non-empty line of runc's output: its error, without the logrus prefix when there is one. */
export function lastLine(text: string): string {
  const line = text.trim().split('\n').filter(Boolean).pop() ?? '';
  const msg = /msg="((?:[^"\\]|\\.)*)"/.exec(line);
  return msg ? msg[1]!.replace(/\\(.)/g, '$1') : line;
}
