/**
 * nact itself, untyped where its published typings do not match its runtime (ACTORS.md 1.7): the
 * benchmarks' raw limits spawn bare nact actors through this, next to what Auctor's kernel does.
 * Not a benchmark (bench/run.ts lists only the files directly in bench/).
 */
import { configurePersistence, dispatch, query, spawn, spawnPersistent, start, stop } from 'nact';

export interface BareNact {
  start(plugin: unknown): unknown;
  configurePersistence(engine: unknown): unknown;
  spawn(parent: unknown, f: unknown): unknown;
  spawnPersistent(parent: unknown, f: unknown, key: string, name: string): unknown;
  dispatch(ref: unknown, msg: unknown): void;
  query<T>(ref: unknown, factory: (replyTo: unknown) => unknown, timeout: number): Promise<T>;
  stop(ref: unknown): void;
}

export const nact = { configurePersistence, dispatch, query, spawn, spawnPersistent, start, stop } as unknown as BareNact;
