/**
 * Container lists that reach the control side while its query index is being rebuilt (after a
 * start) are set aside, not routed: the index cannot yet say which containers run as their rows
 * say (`runsAsIndexed`), so every container of every list would go to its supervisor, waking
 * every LRP and instance while the rebuild runs. Once the index is rebuilt, each cell whose list
 * was set aside is asked for a fresh one (`reconcile`), which is then read against the index.
 *
 * Why: at 100k instances a restarted control node took 61 s to rebuild its index (17.7 s alone
 * at 250k in `npm run bench -- index-rebuild`) while 1000 cells' first lists, asked as each cell
 * appeared, arrived during it (issue 14).
 */
import type { CellClient } from './cell.protocol.js';
import type { QueryIndex } from './query-index.js';

export class ListsSetAside {
  private readonly cells = new Set<string>();
  private waiting = false;

  constructor(
    private readonly queries: QueryIndex,
    private readonly clientFor: (cellId: string) => CellClient | undefined,
  ) {}

  /** True when `cellId`'s list came during the rebuild and was set aside (it is asked again once the index is ready). */
  setAside(cellId: string): boolean {
    if (!this.queries.rebuilding) return false;
    this.cells.add(cellId);
    if (!this.waiting) {
      this.waiting = true;
      void this.queries.ready.finally(() => this.askAgain());
    }
    return true;
  }

  /** How many cells' lists wait to be asked again. */
  get pending(): number {
    return this.cells.size;
  }

  private askAgain(): void {
    this.waiting = false;
    const cells = [...this.cells];
    this.cells.clear();
    for (const cellId of cells) this.clientFor(cellId)?.reconcile?.();
  }
}
