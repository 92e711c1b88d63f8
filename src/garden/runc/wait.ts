/** Small waiting helpers of the runc backend. */
import type { OutputLine, ProcessIO } from '../backend.js';

const POLL_MS = 10;

/** Resolves after `ms`, or at once when `signal` aborts. Someone awaits it: the timer keeps Node alive. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Polls `done` until it holds or `timeoutMs` has passed (or `signal` aborts); resolves whether
 * `done` held. The caller decides what a timeout means.
 */
export async function waitUntil(done: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (done()) return true;
    if (Date.now() >= deadline || signal?.aborted) return false;
    await delay(POLL_MS, signal);
  }
}

/** Holds a process's output back until `open()`: what comes before (runc's error) is dropped. */
export class OutputGate {
  private held: OutputLine[] = [];
  private opened = false;
  readonly io: ProcessIO;

  constructor(private readonly target: ProcessIO) {
    this.io = {
      ...(target.source !== undefined ? { source: target.source } : {}),
      onOutput: (line) => {
        if (this.opened) this.target.onOutput?.(line);
        else this.held.push(line);
      },
    };
  }

  /** Delivers what was held, then passes every line through. */
  open(): void {
    if (this.opened) return;
    this.opened = true;
    for (const line of this.held) this.target.onOutput?.(line);
    this.held = [];
  }
}
