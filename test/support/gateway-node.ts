/**
 * A real `auctor start` process for end-to-end tests: started on a free gateway port (and a free
 * router port), ready once it logs `auctor.started` (whose `api` field is the gateway's URL), its
 * log lines parsed as they come; `runAuctor` / `node.run` drive the client commands against it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request, type IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import { finished, type Finished } from './child-process.js';
import { eventually } from './eventually.js';

export const auctorBin = fileURLToPath(new URL('../../../bin/auctor.js', import.meta.url));

/** Small timings so tests see crashes, convergence and health quickly. */
export const FAST_FLAGS = [
  '--heartbeat-ms', '200', '--cell-ttl-ms', '2000', '--convergence-interval-ms', '500',
  '--unhealthy-interval-ms', '50', '--healthy-interval-ms', '200', '--graceful-stop-ms', '500',
  '--crash-backoff-ms', '400', '--crash-backoff-max-ms', '800', '--task-retries', '1',
];

const SERVER = "require('http').createServer((q, s) => s.end(process.env.INSTANCE_INDEX + ' ' + process.env.INSTANCE_GUID)).listen(Number(process.env.PORT), '127.0.0.1')";

/** A DesiredLRP body: a tiny HTTP server answering `<index> <instance guid>` on its port. */
export const webLrp = (guid = 'web', instances = 2) => ({
  process_guid: guid,
  domain: 'apps',
  rootfs: 'preloaded:host',
  instances,
  memory_mb: 64,
  disk_mb: 64,
  ports: [8080],
  action: { run: { path: process.execPath, args: ['-e', SERVER], user: 'vcap' } },
  check_definition: { checks: [{ tcp_check: { port: 8080 } }] },
});

/** One line of the node's JSON log. */
export interface LogLine {
  msg: string;
  [field: string]: unknown;
}

export interface RunOptions {
  /** text for stdin */
  input?: string;
  env?: NodeJS.ProcessEnv;
}

export interface NodeProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>`; empty on a node without the control role */
  url: string;
  port: number;
  /** the remoting address it advertises (`auctor.started`'s `listen`) */
  listen: string;
  /** the router's URL, when it runs one */
  router?: string;
  /** its `--data` */
  data: string;
  /** the node's name (its cell_id) */
  name: string;
  /** everything it printed so far */
  output(): string;
  /** every log line so far */
  logs: LogLine[];
  /** Resolves with the first log line (past or future) whose `msg` is `msg`. */
  waitForLog(msg: string, timeoutMs?: number): Promise<LogLine>;
  /** Runs `auctor <args> --api <this node>` to its exit. */
  run(args: string[], options?: RunOptions): Promise<Finished>;
  /** SIGTERM, then wait for the exit (SIGKILL after 15 s); returns the exit code */
  stop(): Promise<number | null>;
  /** SIGKILL, then wait for the exit */
  kill9(): Promise<void>;
}

export interface StartOptions {
  /** added to this process's environment */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/**
 * Starts `auctor start --data <data> --api 127.0.0.1:0 --router 127.0.0.1:0 --listen 127.0.0.1:0 ...args` (`args` may
 * override either) and waits for `auctor.started`. The caller owns `data`.
 */
export async function startNode(data: string, args: string[] = [], options: StartOptions = {}): Promise<NodeProcess> {
  const child = spawn(process.execPath, [auctorBin, 'start', '--data', data, '--api', '127.0.0.1:0', '--router', '127.0.0.1:0', '--listen', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let out = '';
  let err = '';
  let partial = '';
  const logs: LogLine[] = [];
  const waiters = new Set<{ msg: string; resolve: (line: LogLine) => void }>();
  child.stderr!.on('data', (d) => (err += d));
  child.stdout!.on('data', (d: Buffer) => {
    out += d;
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const raw of lines) {
      let line: LogLine;
      try {
        line = JSON.parse(raw) as LogLine;
      } catch {
        continue;
      }
      logs.push(line);
      for (const waiter of waiters) if (waiter.msg === line.msg) (waiters.delete(waiter), waiter.resolve(line));
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const running = () => child.exitCode === null && child.signalCode === null;

  const waitForLog = (msg: string, timeoutMs = 10_000): Promise<LogLine> => {
    const seen = logs.find((l) => l.msg === msg);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { msg, resolve: (line: LogLine) => (clearTimeout(timer), resolve(line)) };
      const timer = setTimeout(() => (waiters.delete(waiter), reject(new Error(`no ${msg} within ${timeoutMs}ms: ${out}${err}`))), timeoutMs);
      waiters.add(waiter);
    });
  };

  const stop = async () => {
    if (running()) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  const timeoutMs = options.timeoutMs ?? 15_000;
  let started: LogLine;
  try {
    started = await Promise.race([
      waitForLog('auctor.started', timeoutMs),
      exited.then((code) => Promise.reject(new Error(`auctor start exited ${code} before auctor.started: ${out}${err}`))),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  const url = started.api === undefined ? '' : String(started.api);
  return {
    child,
    url,
    port: url ? Number(new URL(url).port) : 0,
    listen: String(started.listen),
    ...(started.router === undefined ? {} : { router: String(started.router) }),
    data,
    name: String(started.node),
    output: () => out + err,
    logs,
    waitForLog,
    run: (args, runOptions) => runAuctor([...args, '--api', url], runOptions),
    stop,
    kill9: async () => {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs `auctor <args>` to its exit, without the caller's AUCTOR_API / AUCTOR_TOKEN. */
export function runAuctor(args: string[], options: RunOptions = {}): Promise<Finished> {
  const child = spawn(process.execPath, [auctorBin, ...args], {
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, AUCTOR_API: undefined, AUCTOR_TOKEN: undefined, ...options.env },
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  return finished(child);
}

/** Deletes every DesiredLRP and waits until no instance is left: a stopping node leaves its containers running. */
export async function removeAllLrps(url: string, headers: Record<string, string> = {}): Promise<void> {
  const desired = (await http(url, 'GET', '/v1/desired_lrps', undefined, headers)).json as Array<{ process_guid: string }>;
  for (const d of desired) await http(url, 'DELETE', `/v1/desired_lrps/${encodeURIComponent(d.process_guid)}`, undefined, headers);
  await eventually(async () => {
    const actual = (await http(url, 'GET', '/v1/actual_lrps', undefined, headers)).json as unknown[];
    if (actual.length > 0) throw new Error(`${actual.length} instances still running`);
  }, { timeout: 10_000, interval: 100 });
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** the body parsed as JSON, or undefined when empty */
  json: any;
}

/** The whole answer to a request: status, headers, text, and the text as JSON when it is JSON. */
export function readAnswer(res: IncomingMessage): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (d: Buffer) => chunks.push(d));
    res.on('error', reject);
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
    });
  });
}

/** One request on a fresh connection (nothing lingers after the test). */
export function http(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, agent: false, headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers } }, (res) => {
      readAnswer(res).then(resolve, reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}
