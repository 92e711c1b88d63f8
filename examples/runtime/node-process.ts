/**
 * The launcher's handle on one node process (node.ts): starts it, waits for its `node.started`
 * line, sends it commands on stdin and matches the answers by id, and ends it (SIGTERM, or
 * SIGKILL for the crash the example shows). Keeps the tail of the node's log for a failure report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const NODE_JS = fileURLToPath(new URL('./node.js', import.meta.url));
const LOG_LINES_KEPT = 20;

export interface Started {
  name: string;
  address: string;
  incarnation: number;
  pid: number;
  ledger?: { balance: number; deposits: number };
}

export class NodeProcess {
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly logTail: string[] = [];
  private nextId = 1;
  private exitReason: string | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** its `node.started` line; rejects if it exits or does not start in time */
  readonly started: Promise<Started>;

  private constructor(readonly name: string, private readonly child: ChildProcess, startTimeoutMs: number) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      this.exitReason = `node ${name} exited (${signal ?? `code ${code}`})`;
      for (const { reject } of this.pending.values()) reject(new Error(this.exitReason));
      this.pending.clear();
      resolve({ code, signal });
    }));
    // a node that died mid-write closes its stdin: the exit handler above reports it
    child.stdin!.on('error', () => {});
    child.once('error', (error) => this.logTail.push(`spawn failed: ${error.message}`));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (this.logTail.push(line) > LOG_LINES_KEPT) this.logTail.shift();
    });
    this.started = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${name} did not start within ${startTimeoutMs} ms`)), startTimeoutMs);
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(this.exitReason));
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const message = parse(line);
        if (message?.event === 'node.started') {
          clearTimeout(timer);
          resolve(message as unknown as Started);
        } else if (typeof message?.id === 'number') {
          const waiting = this.pending.get(message.id);
          this.pending.delete(message.id);
          if (message.ok) waiting?.resolve(message.result);
          else waiting?.reject(new Error(String(message.error)));
        }
      });
    });
  }

  /** Starts `node.js` with `args`; `started` resolves with its `node.started` line once it is part of the cluster. */
  static spawn(name: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 15_000): NodeProcess {
    const child = spawn(process.execPath, [NODE_JS, '--name', name, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    return new NodeProcess(name, child, timeoutMs);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Sends one command; resolves with its result, rejects with the node's error or when the node exits. */
  ask<T>(command: Record<string, unknown>): Promise<T> {
    if (this.exitReason) return Promise.reject(new Error(this.exitReason));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.stdin!.write(`${JSON.stringify({ id, ...command })}\n`);
    });
  }

  /** kill -9: the process gets no chance to flush or leave the cluster. */
  kill9(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill('SIGKILL');
    return this.exited;
  }

  /** SIGTERM (the node leaves the cluster and closes its store), SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.exitReason) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** The last lines the node logged. */
  log(): string[] {
    return [...this.logTail];
  }
}

function parse(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
