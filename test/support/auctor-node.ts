/**
 * A real `node bin/auctor.js start` process for end-to-end tests: its own data directory, the
 * gateway on a free loopback port (`--api 127.0.0.1:0`, the url read from `gateway.listening`),
 * its log lines parsed as they come. `stop()` sends SIGTERM, waits, and removes the directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tempDir } from './temp-dir.js';

const bin = fileURLToPath(new URL('../../../bin/auctor.js', import.meta.url));

export interface LogLine {
  msg: string;
  [field: string]: unknown;
}

export interface AuctorNode {
  child: ChildProcess;
  /** the gateway's `http://127.0.0.1:port` */
  url: string;
  port: number;
  /** every log line so far */
  logs: LogLine[];
  /** Resolves with the first log line (past or future) whose `msg` is `msg`. */
  waitForLog(msg: string, timeoutMs?: number): Promise<LogLine>;
  /** SIGTERM, wait for exit (SIGKILL after `timeoutMs`), remove the data directory. */
  stop(timeoutMs?: number): Promise<void>;
}

export async function startAuctorNode(args: string[] = [], env: NodeJS.ProcessEnv = {}, timeoutMs = 15_000): Promise<AuctorNode> {
  const dir = tempDir();
  const child = spawn(process.execPath, [bin, 'start', '--data', dir.path, '--api', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const logs: LogLine[] = [];
  const waiters = new Set<{ msg: string; resolve: (line: LogLine) => void }>();
  let partial = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.on('data', (d: Buffer) => {
    const text = partial + d.toString();
    const lines = text.split('\n');
    partial = lines.pop()!;
    for (const raw of lines) {
      if (raw.trim() === '') continue;
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
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));

  const waitForLog = (msg: string, wait = 10_000): Promise<LogLine> => {
    const seen = logs.find((l) => l.msg === msg);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { msg, resolve: (line: LogLine) => (clearTimeout(timer), resolve(line)) };
      const timer = setTimeout(() => (waiters.delete(waiter), reject(new Error(`no ${msg} within ${wait}ms; stderr: ${stderr}`))), wait);
      waiters.add(waiter);
    });
  };

  const stop = async (wait = 15_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), wait);
      await exited;
      clearTimeout(timer);
    }
    dir.remove();
  };

  try {
    const started = await Promise.race([
      waitForLog('auctor.started', timeoutMs),
      exited.then(() => Promise.reject(new Error(`auctor exited before starting: ${stderr}`))),
    ]);
    const url = String(started.api);
    return { child, url, port: Number(new URL(url).port), logs, waitForLog, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
