/** Waiting helpers shared by the container backends. */

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
