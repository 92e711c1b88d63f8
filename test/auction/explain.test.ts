import { expect } from 'chai';
import { debitPlacements, explainPlacement, type WorkNeed } from '../../src/auction/explain.js';
import { schedule } from '../../src/auction/schedule.js';
import { buildCell, buildLrp, ROOTFS } from '../support/auction-builders.js';

const need = (overrides: Partial<WorkNeed> = {}): WorkNeed => ({ memory_mb: 1024, disk_mb: 1024, rootfs: ROOTFS, lrp: true, ...overrides });
const lacks = (cells: Array<{ cell_id: string; lacked: readonly string[] }>) => cells.map((c) => [c.cell_id, c.lacked]);

describe('auction: explainPlacement', () => {
  it('names what each cell lacked: draining, rootfs, tags, then each resource short', () => {
    const cells = [
      buildCell('draining', { evacuating: true }),
      buildCell('windows', { rootfs_providers: ['preloaded:windows'] }),
      buildCell('tagged', { placement_tags: ['gpu'] }),
      buildCell('full', { available: { memory_mb: 100, disk_mb: 10, containers: 0 } }),
      buildCell('fits'),
    ];
    const { cells: rows, omitted_cells } = explainPlacement(need(), cells, 10);
    expect(omitted_cells).to.equal(0);
    // closest first: the ones with only resource lacks by shortfall, then the filtered by id
    expect(lacks(rows)).to.deep.equal([
      ['fits', []],
      ['full', ['memory', 'disk', 'containers']],
      ['draining', ['evacuating']],
      ['tagged', ['placement_tags']],
      ['windows', ['rootfs']],
    ]);
    expect(rows[1]!.shortfall).to.deep.equal({ memory_mb: 924, disk_mb: 1014, containers: 1 });
  });

  it("counts an LRP's proxy memory, not a task's", () => {
    const cells = [buildCell('c1', { available: { memory_mb: 1100 }, proxy_memory_allocation_mb: 200 })];
    expect(explainPlacement(need(), cells, 10).cells[0]!.shortfall.memory_mb).to.equal(124);
    expect(explainPlacement(need({ lrp: false }), cells, 10).cells[0]!.lacked).to.deep.equal([]);
  });

  it('keeps at most maxCells rows, the closest, and counts the rest', () => {
    const cells = Array.from({ length: 5 }, (_, i) => buildCell(`c${i}`, { available: { memory_mb: 1000 - i * 100 } }));
    const explained = explainPlacement(need(), cells, 2);
    expect(explained.cells.map((c) => [c.cell_id, c.shortfall.memory_mb])).to.deep.equal([['c0', 24], ['c1', 124]]);
    expect(explained.omitted_cells).to.equal(3);
  });

  it('sees the cells as the round left them: its placements debited', () => {
    const cells = [buildCell('c1', { total: { memory_mb: 1024 } })];
    const results = schedule({ lrps: [buildLrp('a', 0, { memory_mb: 1024 }), buildLrp('b', 0, { memory_mb: 1024 })], tasks: [] }, cells);
    expect(results.lrpFailures).to.have.length(1);
    const after = debitPlacements(cells, results.lrpPlacements, results.taskPlacements);
    expect(cells[0]!.available_resources.memory_mb, 'the input is left alone').to.equal(1024);
    expect(explainPlacement(need({ memory_mb: 1024, disk_mb: 128 }), after, 10).cells[0]).to.deep.include({ lacked: ['memory'], shortfall: { memory_mb: 1024, disk_mb: 0, containers: 0 } });
  });
});
