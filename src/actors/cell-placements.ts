/**
 * Which instances the control side takes to be on each cell (rows CLAIMED or RUNNING, of any
 * presence), so that `lrps` can read a cell's container list the other way round, as Diego's rep
 * bulk loop does ("no container, but the BBS says CLAIMED/RUNNING on this cell: delete the
 * ActualLRP"): an instance taken to be on the cell that its list leaves out is gone.
 *
 * A hint, never the authority: it holds what the claims and RUNNING reports `lrps` routes said,
 * and what the rows said at the last convergence pass (which replaces it all) or at start; the
 * row's actor checks its own rows before it acts on a missing instance. Entries of instances
 * that crashed, stopped or were left out of a list are forgotten.
 *
 * Why a list cannot miss a claim in flight: a cell reports a claim only once the container is
 * in its ledger and builds its list from that ledger in one turn, and its reports reach `lrps`,
 * the supervisor and the instance in the order it sent them. A list taken before the claim
 * therefore arrives before it, when no entry exists yet; one taken after names the instance.
 */
import type { ActualLRP } from '../models/actual-lrp.js';
import type { InstanceReport } from './actual-lrp.protocol.js';

export interface Placement {
  cell_id: string;
  process_guid: string;
  index: number;
  instance_guid: string;
}

type Where = Pick<Placement, 'process_guid' | 'index'>;

export class CellPlacements {
  /** cell id → instance guid → its LRP and index */
  private byCell = new Map<string, Map<string, Where>>();

  /** A cell's report about an instance: claimed or RUNNING, it is on that cell; crashed or stopped, it left. */
  note(r: Placement & { type: InstanceReport['type'] }): void {
    if (r.type === 'cell-report/lrp-claimed' || r.type === 'cell-report/lrp-running') this.add(r);
    else this.forget(r.cell_id, r.instance_guid);
  }

  /** The instance is on that cell. */
  add(p: Placement): void {
    let cell = this.byCell.get(p.cell_id);
    if (!cell) this.byCell.set(p.cell_id, (cell = new Map()));
    cell.set(p.instance_guid, { process_guid: p.process_guid, index: p.index });
  }

  /** A crash or stop report: the instance left its cell. */
  forget(cellId: string, instanceGuid: string): void {
    const cell = this.byCell.get(cellId);
    if (cell?.delete(instanceGuid) && cell.size === 0) this.byCell.delete(cellId);
  }

  /** Adds the placed rows among `rows`. */
  addRows(rows: Iterable<ActualLRP>): void {
    for (const a of rows) {
      if ((a.state === 'CLAIMED' || a.state === 'RUNNING') && a.cell_id !== '') this.add(a);
    }
  }

  /** Everything is what `other` says (built from every row a convergence pass read). */
  replaceWith(other: CellPlacements): void {
    this.byCell = other.byCell;
    other.byCell = new Map();
  }

  /** The instances taken to be on `cellId` that its list (`listed` instance guids) leaves out; they are forgotten. */
  missingFrom(cellId: string, listed: ReadonlySet<string>): Placement[] {
    const cell = this.byCell.get(cellId);
    if (!cell) return [];
    const missing: Placement[] = [];
    for (const [instance_guid, where] of cell) {
      if (listed.has(instance_guid)) continue;
      missing.push({ cell_id: cellId, instance_guid, ...where });
      cell.delete(instance_guid);
    }
    if (cell.size === 0) this.byCell.delete(cellId);
    return missing;
  }

  /** How many instances it holds, over every cell. */
  get size(): number {
    let n = 0;
    for (const cell of this.byCell.values()) n += cell.size;
    return n;
  }
}
