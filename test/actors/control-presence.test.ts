/**
 * A cell's presence heartbeat reaches `cells` as it arrives at `control`, not after the reports
 * queued there before it (issue 14: at 50k instances control's mailbox reached 10 000 messages,
 * heartbeats waited past cellTtlMs and every live cell disappeared).
 */
import { expect } from 'chai';
import type { CellReport } from '../../src/actors/cell.protocol.js';
import { eventually } from '../support/eventually.js';
import { startHarness, type Harness, type LogLine } from './control-harness.js';
import { MemoryPersistenceEngine } from '../../src/runtime/persistence/memory-engine.js';
import type { JournalRead } from '../../src/runtime/persistence/engine.js';

const TTL_MS = 1_000;
/** a report control routes on (to tasks, which ignores it: no such task, no such cell) */
const report = (i: number): CellReport => ({ type: 'cell-report/task-completed', cell_id: 'no-such-cell', task_guid: `t-${i}`, failed: false, failure_reason: '', result: '' }) as unknown as CellReport;

/** A store whose journal scans wait for `release`: the query index's rebuild, so the control's recovery, waits too. */
function gatedEngine(): { engine: MemoryPersistenceEngine; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const engine = new (class extends MemoryPersistenceEngine {
    override async scanJournals(prefix: string, visit: (journal: JournalRead) => void): Promise<void> {
      await gate;
      return super.scanJournals(prefix, visit);
    }
  })();
  return { engine, release };
}

describe('control: cell presence under a long mailbox of reports', () => {
  let h: Harness;
  afterEach(async () => h.stop());

  it('a cell that heartbeats within cellTtlMs stays present while control has thousands of reports queued', async () => {
    h = startHarness({ cellTtlMs: TTL_MS });
    const cell = h.cells.add('busy-cell');
    cell.heartbeat();
    await eventually(async () => expect((await h.control.cells()).map((c) => c.cell_id)).to.deep.equal(['busy-cell']));

    await h.clock.advance(TTL_MS - 100);
    for (let i = 0; i < 5_000; i++) h.control.report(report(i));
    cell.heartbeat(); // in time, but behind 5 000 reports in control's mailbox
    await h.clock.advance(200); // the first heartbeat's TTL runs out

    expect((await h.control.cells()).map((c) => c.cell_id)).to.deep.equal(['busy-cell']);
    expect(h.events.filter((e) => e.type === 'cell_disappeared')).to.deep.equal([]);
    // and the presence still expires when heartbeats stop
    await h.clock.advance(TTL_MS);
    await eventually(async () => expect(await h.control.cells()).to.deep.equal([]));
    expect(h.events.filter((e) => e.type === 'cell_disappeared')).to.have.length(1);
  });

  it('while control recovers no presence expires; a TTL after the recovery a silent cell disappears', async () => {
    const { engine, release } = gatedEngine();
    h = startHarness({ cellTtlMs: TTL_MS }, { engine });
    const cell = h.cells.add('quiet-cell');
    cell.heartbeat();
    await eventually(async () => expect((await h.control.cells()).map((c) => c.cell_id)).to.deep.equal(['quiet-cell']));
    await h.clock.advance(3 * TTL_MS); // recovering: its heartbeats would be read late
    expect((await h.control.cells()).map((c) => c.cell_id)).to.deep.equal(['quiet-cell']);

    release();
    await h.control.actualLrps(); // waits for the recovery
    await h.clock.advance(TTL_MS - 100);
    expect((await h.control.cells()).map((c) => c.cell_id)).to.deep.equal(['quiet-cell']);
    await h.clock.advance(200);
    await eventually(async () => expect(await h.control.cells()).to.deep.equal([]));
    expect(h.events.filter((e) => e.type === 'cell_disappeared')).to.have.length(1);
  });

  it('a container list that comes while the index is rebuilt is set aside (it would wake every LRP), and the cell is asked for a fresh one once the index is ready', async () => {
    const { engine, release } = gatedEngine();
    h = startHarness({ cellTtlMs: TTL_MS }, { engine });
    const cell = h.cells.add('listing-cell');
    cell.heartbeat();
    await eventually(async () => expect((await h.control.cells()).map((c) => c.cell_id)).to.deep.equal(['listing-cell']));
    const asked = cell.reconcileRequests;
    // a stray container no LRP desires: routed, it would be stopped at once
    h.control.report({ type: 'cell-report/containers', cell_id: 'listing-cell', containers: [{ kind: 'lrp', process_guid: 'nobody', index: 0, instance_guid: 'stray', state: 'RUNNING' }] } as unknown as CellReport);
    await h.clock.advance(10);
    expect(cell.stops, 'set aside, not routed').to.deep.equal([]);
    expect(cell.reconcileRequests, 'not asked while the index is rebuilt').to.equal(asked);

    release();
    await h.control.actualLrps(); // the rebuild is over
    await eventually(() => expect(cell.reconcileRequests).to.equal(asked + 1));
    // the same list now is routed: the stray is stopped
    h.control.report({ type: 'cell-report/containers', cell_id: 'listing-cell', containers: [{ kind: 'lrp', process_guid: 'nobody', index: 0, instance_guid: 'stray', state: 'RUNNING' }] } as unknown as CellReport);
    await eventually(() => expect(cell.stops.map((s) => s.instance_guid)).to.deep.equal(['stray']));
  });

  it('a control node that stalled past a TTL gives its cells as long again: the heartbeat read after the stall keeps the cell; silence then expires it', async () => {
    const logs: LogLine[] = [];
    h = startHarness({ cellTtlMs: TTL_MS }, { logs });
    const cell = h.cells.add('patient-cell');
    cell.heartbeat();
    await eventually(async () => expect((await h.control.cells()).map((c) => c.cell_id)).to.deep.equal(['patient-cell']));
    await h.control.actualLrps(); // recovered; then a TTL of heartbeats, so the start's hold is over
    for (let i = 0; i < 4; i++) {
      await h.clock.advance(TTL_MS / 2);
      cell.heartbeat();
    }
    await eventually(async () => expect((await h.control.cells()).map((c) => c.cell_id)).to.deep.equal(['patient-cell']));
    // the node's event loop is held for 2 TTLs: no timer fires, nothing is read meanwhile
    h.clock.stall(2 * TTL_MS);
    await h.clock.advance(0); // the overdue expiry fires first, as after a real stall
    const disappeared = () => h.events.filter((e) => e.type === 'cell_disappeared');
    await eventually(() => expect(logs.some((l) => l.msg === 'cell.expiry-deferred') || disappeared().length > 0).to.equal(true));
    expect(disappeared(), 'judged after its own stall').to.deep.equal([]);
    cell.heartbeat(); // what the cell sent during the stall, read now
    await h.clock.advance(TTL_MS / 2);
    expect((await h.control.cells()).map((c) => c.cell_id)).to.deep.equal(['patient-cell']);
    // and with no heartbeat after that, it expires as usual
    await h.clock.advance(TTL_MS);
    await eventually(async () => expect(await h.control.cells()).to.deep.equal([]));
    expect(disappeared()).to.have.length(1);
  });
});
