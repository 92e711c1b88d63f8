import { expect } from 'chai';
import { orderBatch, schedule } from '../../src/auction/schedule.js';
import { PlacementErrors, type CellState } from '../../src/auction/types.js';
import { buildCell, buildLrp, buildTask, countByCell, running } from '../support/auction-builders.js';

const ids = (lrps: ReadonlyArray<{ process_guid: string; index: number }>): string[] => lrps.map((r) => `${r.process_guid}.${r.index}`);

describe('auction: batch order', () => {
  it('puts index-0 LRPs first, then tasks, then other indices; larger memory first within each', () => {
    const ordered = orderBatch({
      lrps: [
        buildLrp('a', 1, { memory_mb: 64 }), buildLrp('b', 0, { memory_mb: 32 }), buildLrp('c', 0, { memory_mb: 128 }),
        buildLrp('a', 0, { memory_mb: 64 }), buildLrp('d', 2, { memory_mb: 256 }), buildLrp('d', 1, { memory_mb: 256 }),
        buildLrp('e', 1, { memory_mb: 16 }),
      ],
      tasks: [buildTask('t1', { memory_mb: 32 }), buildTask('t2', { memory_mb: 256 }), buildTask('t3', { memory_mb: 64 })],
    });
    expect(ids(ordered.lrpsBeforeTasks)).to.deep.equal(['c.0', 'a.0', 'b.0']);
    expect(ordered.tasks.map((t) => t.task_guid)).to.deep.equal(['t2', 't3', 't1']);
    expect(ids(ordered.lrpsAfterTasks)).to.deep.equal(['d.1', 'a.1', 'e.1', 'd.2']);
  });

  it('deduplicates LRPs by process guid and index and tasks by guid, keeping the first', () => {
    const first = buildLrp('a', 0, { memory_mb: 64 });
    const firstTask = buildTask('t', { memory_mb: 64 });
    const ordered = orderBatch({
      lrps: [first, buildLrp('a', 0, { memory_mb: 999 }), buildLrp('a', 1)],
      tasks: [firstTask, buildTask('t', { memory_mb: 999 })],
    });
    expect(ordered.lrpsBeforeTasks).to.deep.equal([first]);
    expect(ids(ordered.lrpsAfterTasks)).to.deep.equal(['a.1']);
    expect(ordered.tasks).to.deep.equal([firstTask]);
  });

  it('returns each deduplicated request once', () => {
    const result = schedule({ lrps: [buildLrp('a'), buildLrp('a'), buildLrp('a', 1)], tasks: [buildTask('t'), buildTask('t')] }, [buildCell('c1'), buildCell('c2')]);
    expect(ids(result.lrpPlacements.map((p) => p.request))).to.deep.equal(['a.0', 'a.1']);
    expect(result.taskPlacements).to.have.length(1);
  });

  const oneSlot = (): CellState[] => [buildCell('only', { available: { containers: 1 } })];
  const cases: Array<[string, Parameters<typeof schedule>[0], string]> = [
    ['an index-0 LRP beats a task', { lrps: [buildLrp('x', 1), buildLrp('y', 0)], tasks: [buildTask('t')] }, 'y.0'],
    ['a task beats an index-1 LRP', { lrps: [buildLrp('x', 1)], tasks: [buildTask('t')] }, 't'],
    ['a larger LRP beats a smaller one listed first', { lrps: [buildLrp('small', 0, { memory_mb: 500 }), buildLrp('large', 0, { memory_mb: 600 })], tasks: [] }, 'large.0'],
    ['a larger task beats a smaller one listed first', { lrps: [], tasks: [buildTask('small', { memory_mb: 500 }), buildTask('large', { memory_mb: 600 })] }, 'large'],
  ];
  for (const [name, batch, winner] of cases) {
    it(`for the last container: ${name}`, () => {
      const result = schedule(batch, oneSlot());
      const placed = [...ids(result.lrpPlacements.map((p) => p.request)), ...result.taskPlacements.map((p) => p.request.task_guid)];
      expect(placed).to.deep.equal([winner]);
      const failures = [...result.lrpFailures, ...result.taskFailures];
      expect(failures.map((f) => f.placement_error.split(' (')[0])).to.deep.equal(failures.map(() => 'insufficient resources: containers'));
    });
  }
});

describe('auction: cells', () => {
  it('fails everything with "unable to communicate to compatible cells" when there are no cells', () => {
    const result = schedule({ lrps: [buildLrp('a'), buildLrp('a', 1)], tasks: [buildTask('t')] }, []);
    expect(result.lrpPlacements).to.be.empty;
    expect(result.lrpFailures.map((f) => f.placement_error)).to.deep.equal([PlacementErrors.cellCommunication, PlacementErrors.cellCommunication]);
    expect(result.taskFailures.map((f) => f.placement_error)).to.deep.equal([PlacementErrors.cellCommunication]);
  });

  it('treats a cluster of evacuating cells as no cells', () => {
    const result = schedule({ lrps: [buildLrp('a')], tasks: [] }, [buildCell('c1', { evacuating: true })]);
    expect(result.lrpFailures[0]!.placement_error).to.equal(PlacementErrors.cellCommunication);
  });

  it('gives evacuating cells no work, even when they are emptier', () => {
    const cells = [buildCell('draining', { evacuating: true }), buildCell('busy', { lrps: [running('other'), running('other2')] })];
    const result = schedule({ lrps: [buildLrp('a')], tasks: [buildTask('t')] }, cells);
    expect(result.lrpPlacements.map((p) => p.cell_id)).to.deep.equal(['busy']);
    expect(result.taskPlacements.map((p) => p.cell_id)).to.deep.equal(['busy']);
  });

  it('never mutates the cell states or requests it is given', () => {
    const cells = [buildCell('c1', { lrps: [running('a')] }), buildCell('c2', { zone: 'z2' })];
    const batch = { lrps: [buildLrp('a', 1), buildLrp('b'), buildLrp('c', 0)], tasks: [buildTask('t')] };
    const before = structuredClone({ cells, batch });
    schedule(batch, cells);
    expect({ cells, batch }).to.deep.equal(before);
  });
});

describe('auction: resource fit and reservation', () => {
  const boundaries: Array<[available: number, need: number, proxy: number, fits: boolean]> = [
    [259, 260, 0, false], [260, 260, 0, true], [260, 261, 0, false],
    [260, 228, 32, true], [260, 229, 32, false],
  ];
  for (const [available, need, proxy, fits] of boundaries) {
    it(`a ${need} MB LRP ${fits ? 'fits' : 'fails'} on a cell with ${available} MB available${proxy ? ` and a ${proxy} MB proxy` : ''}`, () => {
      const cell = buildCell('c1', { available: { memory_mb: available }, proxy_memory_allocation_mb: proxy });
      const result = schedule({ lrps: [buildLrp('a', 0, { memory_mb: need })], tasks: [] }, [cell]);
      expect(result.lrpPlacements.length).to.equal(fits ? 1 : 0);
      if (!fits) expect(result.lrpFailures[0]!.placement_error).to.match(/^insufficient resources: memory \(/);
    });
  }

  it('boundaries hold for disk and tasks too', () => {
    const cell = (): CellState[] => [buildCell('c1', { available: { disk_mb: 260 } })];
    expect(schedule({ lrps: [], tasks: [buildTask('t', { disk_mb: 260 })] }, cell()).taskPlacements).to.have.length(1);
    expect(schedule({ lrps: [], tasks: [buildTask('t', { disk_mb: 261 })] }, cell()).taskFailures[0]!.placement_error).to.match(/^insufficient resources: disk \(/);
  });

  it('lets later items see earlier reservations', () => {
    const cell = buildCell('c1', { available: { memory_mb: 256 } });
    const result = schedule({ lrps: [buildLrp('a', 0), buildLrp('b', 0)], tasks: [buildTask('t')] }, [cell]);
    expect(result.lrpPlacements).to.have.length(2);
    expect(result.taskFailures[0]!.placement_error).to.match(/^insufficient resources: memory/);
  });

  it('counts proxy memory in the reservation', () => {
    const cell = buildCell('c1', { available: { memory_mb: 300 }, proxy_memory_allocation_mb: 32 });
    const result = schedule({ lrps: [buildLrp('a', 0, { memory_mb: 128 }), buildLrp('b', 0, { memory_mb: 128 })], tasks: [] }, [cell]);
    expect(result.lrpPlacements).to.have.length(1);
  });

  it('stops at the in-flight start limit, counting containers cells are already starting', () => {
    const cells = [buildCell('c1', { starting_container_count: 1 }), buildCell('c2')];
    const batch = { lrps: [buildLrp('a'), buildLrp('b'), buildLrp('c', 1)], tasks: [buildTask('t')] };
    const limited = schedule(batch, cells, { startingContainerCountMaximum: 3 });
    expect(ids(limited.lrpPlacements.map((p) => p.request))).to.deep.equal(['a.0', 'b.0']);
    expect(limited.taskFailures.map((f) => f.placement_error)).to.deep.equal([PlacementErrors.inflightLimit]);
    expect(limited.lrpFailures.map((f) => f.placement_error)).to.deep.equal([PlacementErrors.inflightLimit]);
    expect(schedule(batch, cells, { startingContainerCountMaximum: 0 }).lrpFailures).to.be.empty;
  });
});

describe('auction: spreading', () => {
  it('puts the second instance of an LRP on another cell even when the first cell is emptier', () => {
    const cells = [buildCell('empty', { lrps: [running('web', 0)] }), buildCell('full', { lrps: Array.from({ length: 30 }, (_, i) => running(`other-${i}`)) })];
    const result = schedule({ lrps: [buildLrp('web', 1)], tasks: [] }, cells);
    expect(result.lrpPlacements[0]!.cell_id).to.equal('full');
  });

  it('separates instances placed in the same batch', () => {
    const cells = [buildCell('empty'), buildCell('busy', { lrps: Array.from({ length: 30 }, (_, i) => running(`other-${i}`)) })];
    const result = schedule({ lrps: [buildLrp('web', 0), buildLrp('web', 1)], tasks: [] }, cells);
    expect(result.lrpPlacements.map((p) => p.cell_id)).to.deep.equal(['empty', 'busy']);
  });

  it('co-locates instances only once every cell holds one', () => {
    const cells = [buildCell('c1'), buildCell('c2'), buildCell('c3')];
    const lrps = Array.from({ length: 6 }, (_, i) => buildLrp('web', i));
    const counts = countByCell(schedule({ lrps, tasks: [] }, cells).lrpPlacements, ['c1', 'c2', 'c3']);
    expect([...counts.values()]).to.deep.equal([2, 2, 2]);
  });

  it('splits 40 instances equally between 2 zones although the lone cell of one zone holds 50 other apps (Diego simulation)', () => {
    const total = { memory_mb: 16384, disk_mb: 65536, containers: 250 };
    const cells = [
      buildCell('z1-cell', { zone: 'Z1', total, lrps: Array.from({ length: 50 }, (_, i) => running(`other-${i}`)) }),
      buildCell('z2-cell-a', { zone: 'Z2', total }),
      buildCell('z2-cell-b', { zone: 'Z2', total }),
    ];
    const lrps = Array.from({ length: 40 }, (_, i) => buildLrp('app', i));
    const result = schedule({ lrps, tasks: [] }, cells);
    expect(result.lrpFailures).to.be.empty;
    const counts = countByCell(result.lrpPlacements, ['z1-cell', 'z2-cell-a', 'z2-cell-b']);
    expect(counts.get('z1-cell')).to.equal(20);
    expect(counts.get('z2-cell-a')! + counts.get('z2-cell-b')!).to.equal(20);
    expect(counts.get('z2-cell-a')).to.equal(counts.get('z2-cell-b'));
  });

  it('falls back to a more loaded zone when the least loaded one has no room', () => {
    const cells = [
      buildCell('z1-full', { zone: 'Z1', available: { containers: 0 } }),
      buildCell('z2-holds-one', { zone: 'Z2', lrps: [running('app', 0)] }),
    ];
    const result = schedule({ lrps: [buildLrp('app', 1)], tasks: [] }, cells);
    expect(result.lrpPlacements[0]!.cell_id).to.equal('z2-holds-one');
  });

  it('spreads unique equal apps on equal cells to within one instance per cell', () => {
    const cells = Array.from({ length: 7 }, (_, i) => buildCell(`c${i}`, { zone: `z${i % 3}` }));
    const lrps = Array.from({ length: 100 }, (_, i) => buildLrp(`app-${i}`));
    const counts = [...countByCell(schedule({ lrps, tasks: [] }, cells).lrpPlacements, cells.map((c) => c.cell_id)).values()];
    expect(Math.max(...counts) - Math.min(...counts)).to.be.at.most(1);
  });

  it('spreads tasks across cells by the tasks they hold, whatever their zone', () => {
    const cells = [buildCell('a', { zone: 'Z1' }), buildCell('b', { zone: 'Z2' }), buildCell('c', { zone: 'Z2' })];
    const tasks = Array.from({ length: 9 }, (_, i) => buildTask(`t${i}`));
    const counts = countByCell(schedule({ lrps: [], tasks }, cells).taskPlacements, ['a', 'b', 'c']);
    expect([...counts.values()]).to.deep.equal([3, 3, 3]);
  });

  it('counts each placement as a container starting on its cell for later items', () => {
    const cells = [buildCell('emptier'), buildCell('fuller', { lrps: [running('x'), running('y')] })];
    const result = schedule({ lrps: [buildLrp('a', 0, { memory_mb: 1, disk_mb: 1 }), buildLrp('b', 0, { memory_mb: 1, disk_mb: 1 })], tasks: [] }, cells);
    expect(result.lrpPlacements.map((p) => p.cell_id)).to.deep.equal(['emptier', 'fuller']);
  });

  it('prefers cells with fewer containers starting', () => {
    const cells = [buildCell('starting', { starting_container_count: 2 }), buildCell('busy', { lrps: [running('x'), running('y')] })];
    expect(schedule({ lrps: [buildLrp('a')], tasks: [] }, cells).lrpPlacements[0]!.cell_id).to.equal('busy');
  });

  it('with a bin-pack first-fit weight, fills the lowest cell_index first', () => {
    const cells = [buildCell('second', { cell_index: 1 }), buildCell('first', { cell_index: 0 })];
    const lrps = [buildLrp('a'), buildLrp('b'), buildLrp('c')];
    const packed = countByCell(schedule({ lrps, tasks: [] }, cells, { binPackFirstFitWeight: 10 }).lrpPlacements, ['first', 'second']);
    expect(packed.get('first')).to.equal(3);
    const spread = countByCell(schedule({ lrps, tasks: [] }, cells).lrpPlacements, ['first', 'second']);
    expect(Math.abs(spread.get('first')! - spread.get('second')!)).to.equal(1);
  });
});
