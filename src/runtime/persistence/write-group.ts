/**
 * The primary's writes handed to lmdb-js together (replication-log.ts): every write appended
 * before the microtasks of the current turn run out goes into ONE lmdb-js `batch`, so a turn's
 * writes (64 actors persisting at once, say) cost one batch, one commit callback and one flush
 * wait instead of one of each per write. They still get one LSN and one log entry each, in the
 * order they were appended, and lmdb-js commits batches in call order, so LSN order stays commit
 * order. Nothing waits longer than before: lmdb-js starts a transaction at the next turn at the
 * earliest (`txnStartThreshold`), after the group was handed over.
 */
import type { RootDatabase } from 'lmdb';

/** What the log does with a group's writes (all called on the main thread, in order). */
export interface WriteGroupHooks<W> {
  /** Inside the batch: the puts of `write`. */
  put(write: W): void;
  /** The batch committed (no `error`) or failed. */
  settled(writes: readonly W[], error?: unknown): void;
  /** The batch is flushed to disk. */
  flushed(writes: readonly W[]): void;
}

type WritePromise = Promise<boolean> & { flushed?: PromiseLike<unknown> };

interface OpenGroup<W> {
  writes: W[];
  durable: Promise<void>;
  flush(): void;
  fail(error: unknown): void;
}

export class WriteGroups<W> {
  private open: OpenGroup<W> | undefined;

  constructor(
    private readonly root: RootDatabase,
    private readonly hooks: WriteGroupHooks<W>,
  ) {}

  /** Adds `write` to this turn's group; resolves once its batch is durable, rejects if it failed. */
  add(write: W): Promise<void> {
    let group = this.open;
    if (!group) {
      let flush!: () => void;
      let fail!: (error: unknown) => void;
      const durable = new Promise<void>((resolve, reject) => ((flush = resolve), (fail = reject)));
      group = this.open = { writes: [], durable, flush, fail };
      queueMicrotask(() => this.issue());
    }
    group.writes.push(write);
    return group.durable;
  }

  /** Hands the open group to lmdb-js now (a deletion does, before it waits for what is pending). */
  issue(): void {
    const group = this.open;
    if (!group) return;
    this.open = undefined;
    const { writes } = group;
    const write = this.root.batch(() => {
      for (const w of writes) this.hooks.put(w);
    }) as WritePromise;
    write.then(
      async () => {
        this.hooks.settled(writes);
        try {
          await (write.flushed ?? this.root.flushed);
        } catch (error) {
          return group.fail(error);
        }
        this.hooks.flushed(writes);
        group.flush();
      },
      (error: unknown) => {
        this.hooks.settled(writes, error);
        group.fail(error);
      },
    );
  }
}
