/**
 * The etcd client a control group's election uses (leader-election.ts): requests that fail now
 * rather than retry, and a deadline on each. etcd3's own retries and circuit breaker are left
 * out: its breaker can declare a lease lost after etcd is already back (issue 16).
 */
import { Etcd3, type IOptions, type Watcher } from 'etcd3';
import type { Logger } from '../../base/logger.js';

/** An etcd3 client with no retries and no circuit breaker; each unary request fails after `requestTimeoutMs`. */
export function plainEtcdClient(endpoints: string[], requestTimeoutMs: number): Etcd3 {
  // async: etcd3 reports a failed stream through `execute(() => { throw })` and catches the promise
  const passThrough = { execute: async (fn: (context: { signal: AbortSignal }) => unknown) => fn({ signal: new AbortController().signal }) };
  const options: IOptions = {
    hosts: endpoints.map((e) => (e.includes('://') ? e : `http://${e}`)),
    dialTimeout: requestTimeoutMs,
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: new Date(Date.now() + requestTimeoutMs) }),
    faultHandling: { host: () => passThrough as never, global: passThrough as never },
  };
  return new Etcd3(options);
}

/** `promise`, or a rejection once `ms` pass (etcd3's streams, keepalives among them, have no deadline of their own). */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`etcd did not answer within ${ms}ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error as Error);
      },
    );
  });
}

/**
 * Watches `key` (with `prefix`, every key under it), calling `changed` with the key when one is
 * put or deleted, and with none whenever the watch (re)connects (etcd3 reconnects a broken watch
 * itself; what changed meanwhile is unknown). A watch etcd cancelled is given up: `cancelled` is
 * called, and the caller's poll makes it again.
 */
export function watchKey(client: Etcd3, key: string, log: Logger, changed: (key?: string) => void, cancelled: () => void, prefix = false): Watcher {
  const watcher = (prefix ? client.watch().prefix(key) : client.watch().key(key)).watcher();
  const onChange = (kv: { key: Buffer }) => changed(kv.key.toString());
  watcher.on('put', onChange);
  watcher.on('delete', onChange);
  watcher.on('connected', () => changed());
  watcher.on('disconnected', (error: Error) => log.debug({ key, error: error.message }, 'etcd.watch-disconnected'));
  watcher.on('error', (error: Error) => {
    log.debug({ key, error: error.message }, 'etcd.watch-failed');
    cancelled();
    void watcher.cancel().catch(() => {});
  });
  return watcher;
}
