/**
 * A real `auctor start` process for tests that drive it only over HTTP: started on a free
 * gateway port, ready once it logs `auctor.started` (whose `api` field is the gateway's URL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../bin/auctor.js', import.meta.url));

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

export interface NodeProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** everything it printed so far */
  output(): string;
  /** SIGTERM, then wait for the exit; returns the exit code */
  stop(): Promise<number | null>;
  /** SIGKILL, then wait for the exit */
  kill9(): Promise<void>;
}

/**
 * Starts `auctor start --data <data> --api 127.0.0.1:0 --router 127.0.0.1:0 ...args` (`args` may
 * override either) and waits for `auctor.started`.
 */
export function startNode(data: string, args: string[] = [], timeoutMs = 15_000): Promise<NodeProcess> {
  const child = spawn(process.execPath, [bin, 'start', '--data', data, '--api', '127.0.0.1:0', '--router', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const node = (url: string): NodeProcess => ({
    child,
    url,
    output: () => out + err,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill9: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`auctor start did not log auctor.started within ${timeoutMs}ms: ${out}${err}`));
    }, timeoutMs);
    const onData = () => {
      const line = out.split('\n').find((l) => l.includes('"auctor.started"'));
      if (!line) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve(node(JSON.parse(line).api as string));
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`auctor start exited ${code} before auctor.started: ${out}${err}`));
    });
  });
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** the body parsed as JSON, or undefined when empty */
  json: any;
}

/** One request on a fresh connection (nothing lingers after the test). */
export function http(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, agent: false, headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
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
    req.on('error', reject);
    req.end(payload);
  });
}
