/**
 * An owner for what must be released: parts are added as they start and disposed in reverse,
 * so a node stops its parts in the opposite order of their start (VS Code's `DisposableStore`,
 * ifrit's ordered group).
 */

/** A function that releases something, or an object released by its `close()`. */
export type Disposable = (() => unknown) | { close(): unknown };

export class DisposableStore {
  private readonly items: Disposable[] = [];
  private disposal: Promise<void> | undefined;

  /** True once `dispose()` was called. */
  get isDisposed(): boolean {
    return this.disposal !== undefined;
  }

  /**
   * Takes ownership of `item` and returns it. Adding to a disposed store is a bug (its owner has
   * gone) and throws.
   */
  add<T extends Disposable>(item: T): T {
    if (this.disposal) throw new Error('DisposableStore: add after dispose');
    this.items.push(item);
    return item;
  }

  /**
   * Disposes every item once, the last added first, each awaited before the next. An item that
   * throws or rejects does not stop the others: once all ran, the errors are thrown together as
   * an AggregateError. Calls after the first return the first call's promise.
   */
  dispose(): Promise<void> {
    this.disposal ??= this.disposeAll();
    return this.disposal;
  }

  private async disposeAll(): Promise<void> {
    const errors: unknown[] = [];
    for (const item of this.items.splice(0).reverse()) {
      try {
        await (typeof item === 'function' ? item() : item.close());
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `${errors.length} disposal(s) failed: ${errors.map(describe).join('; ')}`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
