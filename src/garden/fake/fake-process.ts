/**
 * A process of the fake backend (see fake-backend.ts): it runs until a test ends it with
 * `exit(code)`, a signal ends it, or its `RunAnswer` says when. It writes what a test tells it
 * to with `write(stream, line)`.
 */
import type { Clock, Timer } from '../../base/clock.js';
import type { ExitStatus, OutputStream, Process, ProcessIO, ProcessSpec } from '../backend.js';

export type Signal = 'TERM' | 'KILL' | 'INT' | 'HUP';

const SIGNAL_NUMBERS: Record<Signal, number> = { HUP: 1, INT: 2, KILL: 9, TERM: 15 };

/** How a process started by `run` behaves, as the `onRun` hook answers. */
export interface RunAnswer {
  /** lines written to stdout (strings) or to the given stream, right after the start */
  output?: Array<string | { stream: OutputStream; line: string }>;
  /** exit with this code: at once, or after `exitAfterMs` on the backend's clock */
  exitCode?: number;
  exitAfterMs?: number;
  /** the exit is an out-of-memory kill */
  oom?: boolean;
  /** TERM is recorded but does not end the process; only KILL does */
  ignoreTerm?: boolean;
}

export class FakeProcess implements Process {
  /** signals received, in order (also those that did not end it) */
  readonly signals: Signal[] = [];
  /** lines written, to whichever io was attached */
  readonly output: Array<{ stream: OutputStream; line: string }> = [];
  exited?: ExitStatus;
  private ignoreTerm = false;
  private exitTimer?: Timer;
  private readonly waiters: Array<(status: ExitStatus) => void> = [];

  constructor(
    readonly id: string,
    readonly spec: ProcessSpec,
    /** the io passed to `run`, or the last one attached */
    public io: ProcessIO,
    /** what the process would see: the container's variables and env, then the spec's */
    readonly env: Record<string, string>,
    private readonly clock: Clock,
  ) {}

  /** Writes a line as the process: calls `io.onOutput` with the io's source (default `APP`). */
  write(stream: OutputStream, line: string): void {
    if (this.exited) throw new Error(`fake process ${this.id} has exited; it cannot write`);
    this.output.push({ stream, line });
    this.io.onOutput?.({ stream, source: this.io.source ?? 'APP', line, at: this.clock.now() });
  }

  /** Ends the process (no-op once it has exited). */
  exit(code: number, options: { oom?: boolean; signal?: Signal } = {}): void {
    if (this.exited) return;
    this.exitTimer?.cancel();
    const status: ExitStatus = { code, oom: options.oom ?? false };
    if (options.signal) status.signal = options.signal;
    this.exited = status;
    for (const resolve of this.waiters.splice(0)) resolve(status);
  }

  wait(signal?: AbortSignal): Promise<ExitStatus> {
    if (this.exited) return Promise.resolve(this.exited);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal?.reason);
      };
      const done = (status: ExitStatus) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(status);
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async signal(sig: Signal): Promise<void> {
    this.deliver(sig);
  }

  attach(io: ProcessIO): void {
    this.io = io;
  }

  /** @internal */
  deliver(sig: Signal): void {
    this.signals.push(sig);
    if (this.exited) return;
    if (sig === 'TERM' && this.ignoreTerm) return;
    this.exit(128 + SIGNAL_NUMBERS[sig], { signal: sig });
  }

  /** @internal behaves as the `onRun` answer says */
  follow(answer: RunAnswer): void {
    this.ignoreTerm = answer.ignoreTerm ?? false;
    for (const out of answer.output ?? []) {
      if (typeof out === 'string') this.write('stdout', out);
      else this.write(out.stream, out.line);
    }
    if (answer.exitCode === undefined) return;
    const code = answer.exitCode;
    const oom = answer.oom ?? false;
    if (answer.exitAfterMs === undefined) this.exit(code, { oom });
    else this.exitTimer = this.clock.setTimeout(() => this.exit(code, { oom }), answer.exitAfterMs);
  }
}
