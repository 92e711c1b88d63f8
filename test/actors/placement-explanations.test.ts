import { expect } from 'chai';
import { PlacementExplanations, isPlaced, type PlacementFailure } from '../../src/actors/placement-explanations.js';
import { Events } from '../../src/models/events.js';
import { newUnclaimedActualLrp, type ActualLRP } from '../../src/models/actual-lrp.js';

const failure = (placement_error: string): PlacementFailure => ({ instance_guid: 'g', placement_error, at: 1, cells: [], omitted_cells: 0 });
const row = (process_guid: string, index: number, changes: Partial<ActualLRP> = {}): ActualLRP =>
  ({ ...newUnclaimedActualLrp({ process_guid, index, domain: 'd' }, 1, { epoch: 'e', index: 0 }), ...changes });

describe('control: the placement explanations store', () => {
  it('keeps the latest failure per instance and at most maxEntries, dropping the oldest', () => {
    const store = new PlacementExplanations(3);
    store.recordLrp('web', 0, failure('one'));
    store.recordLrp('web', 0, failure('two'));
    for (const i of [1, 2, 3]) store.recordLrp('web', i, failure(`index ${i}`));
    expect(store.size()).to.deep.equal({ lrps: 3, tasks: 0, rows: 0 });
    expect(store.lrp('web', 0), 'the oldest went').to.equal(undefined);
    expect(store.lrp('web', 3)!.placement_error).to.equal('index 3');
    // a new failure of an old key makes it the newest
    store.recordLrp('web', 1, failure('again'));
    store.recordLrp('web', 4, failure('index 4'));
    expect([store.lrp('web', 1)?.placement_error, store.lrp('web', 2)]).to.deep.equal(['again', undefined]);
  });

  it('counts an explanation shared by many instances once, and keeps at most maxRows rows', () => {
    const store = new PlacementExplanations(100, 10, 25);
    const cells = (n: number) => Array.from({ length: n }, (_, i) => ({ cell_id: `c${i}`, zone: 'z', lacked: ['memory' as const], shortfall: { memory_mb: 1, disk_mb: 0, containers: 0 } }));
    const shared = cells(10);
    for (let i = 0; i < 50; i++) store.recordLrp('web', i, { ...failure('memory'), cells: shared });
    expect(store.size()).to.deep.equal({ lrps: 50, tasks: 0, rows: 10 });
    store.recordTask('t1', { ...failure('disk'), cells: cells(10) });
    store.recordLrp('api', 0, { ...failure('disk'), cells: cells(10) });
    // 30 rows: the oldest LRP failures go until web's explanation is no longer kept by any
    expect(store.size()).to.deep.equal({ lrps: 1, tasks: 1, rows: 20 });
    expect(store.lrp('api', 0)!.placement_error).to.equal('disk');
  });

  it('forgets an instance once claimed or removed, and every instance of a removed LRP', () => {
    const store = new PlacementExplanations();
    for (const i of [0, 1, 2]) store.recordLrp('web', i, failure('memory'));
    store.recordLrp('webber', 0, failure('memory'));
    store.placedLrp('web', 0);
    expect(isPlaced(store.lrp('web', 0)), 'placed, not claimed yet').to.equal(true);
    store.onEvent(Events.actualLrpChanged(row('web', 0), row('web', 0, { state: 'CLAIMED', instance_guid: 'g', cell_id: 'c' })));
    expect(store.lrp('web', 0)).to.equal(undefined);
    // a copy's change says nothing of the ORDINARY row
    store.onEvent(Events.actualLrpChanged(row('web', 1), row('web', 1, { state: 'RUNNING', presence: 'SUSPECT' })));
    expect(store.lrp('web', 1)).to.not.equal(undefined);
    store.onEvent(Events.actualLrpRemoved(row('web', 1)));
    expect(store.lrp('web', 1)).to.equal(undefined);
    store.onEvent({ type: 'desired_lrp_removed', data: { desired_lrp: { process_guid: 'web' } } } as never);
    expect([store.lrp('web', 2), store.lrp('webber', 0)?.placement_error]).to.deep.equal([undefined, 'memory']);
  });

  it('forgets a task once it has a cell or is removed', () => {
    const store = new PlacementExplanations();
    store.recordTask('t1', failure('disk'));
    store.recordTask('t2', failure('disk'));
    const task = { task_guid: 't1', cell_id: '' };
    store.onEvent({ type: 'task_changed', data: { before: task, after: { ...task, state: 'PENDING' } } } as never);
    expect(store.task('t1')).to.not.equal(undefined);
    store.onEvent({ type: 'task_changed', data: { before: task, after: { ...task, cell_id: 'c1' } } } as never);
    store.onEvent({ type: 'task_removed', data: { task: { task_guid: 't2' } } } as never);
    expect(store.size()).to.deep.equal({ lrps: 0, tasks: 0, rows: 0 });
  });
});
