import { expect } from 'chai';

/** Retries an assertion until it passes or the timeout runs out; rethrows the last failure. */
export async function eventually<T>(fn: () => T | Promise<T>, { timeout = 5000, interval = 10 } = {}): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
  }
}

/** Asserts `fn` keeps passing for `duration` ms, checked every `interval` ms (Gomega's Consistently). */
export async function consistently(fn: () => unknown | Promise<unknown>, { duration = 1000, interval = 100 } = {}): Promise<void> {
  const deadline = Date.now() + duration;
  for (;;) {
    await fn();
    if (Date.now() >= deadline) return;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/**
 * Reads with `read` until `pred` holds for what it returns, which it then returns; a failure says
 * `what` and shows the last value through `show`.
 */
export function eventuallyWhere<T>(read: () => Promise<T>, pred: (value: T) => boolean, show: (value: T) => unknown, what: string, options?: { timeout?: number; interval?: number }): Promise<T> {
  return eventually(async () => {
    const value = await read();
    expect(pred(value), `${what}: ${JSON.stringify(show(value))}`).to.equal(true);
    return value;
  }, options);
}
