/**
 * A cell's presence heartbeat reaches `cells` as it arrives at `control`, not after the reports
 * queued there before it (issue 14: at 50k instances control's mailbox reached 10 000 messages,
 * heartbeats waited past cellTtlMs and every live cell disappeared).
 */
import { expect } from 'chai';
import type { CellReport } from '../../src/actors/cell.protocol.js';
import { eventually } from '../support/eventually.js';
import { startHarness, type Harness } from './control-harness.js';

const TTL_MS = 1_000;
/** a report control routes on (to tasks, which ignores it: no such task, no such cell) */
const report = (i: number): CellReport => ({ type: 'cell-report/task-completed', cell_id: 'no-such-cell', task_guid: `t-${i}`, failed: false, failure_reason: '', result: '' }) as unknown as CellReport;

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
});
