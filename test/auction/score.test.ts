import { expect } from 'chai';
import { CellTable } from '../../src/auction/cell-table.js';
import { CellScores, lrpScore, resourceScore, taskScore, type CellLoad, type ScoreWeights } from '../../src/auction/score.js';
import { DEFAULT_AUCTION_SETTINGS, type Resources } from '../../src/auction/types.js';
import { buildCell, running } from '../support/auction-builders.js';

const weights: ScoreWeights = DEFAULT_AUCTION_SETTINGS;
const total: Resources = { memory_mb: 1000, disk_mb: 1000, containers: 100 };
const free = (memory_mb: number, disk_mb = 1000, containers = 100): Resources => ({ memory_mb, disk_mb, containers });
const need = (memory_mb: number, disk_mb = 0) => ({ memory_mb, disk_mb });
const idle: CellLoad = { starting: 0, colocated: 0 };

describe('auction score (lower wins)', () => {
  it('an emptier cell scores lower', () => {
    expect(resourceScore(free(900), total, need(100))).to.be.lessThan(resourceScore(free(500), total, need(100)));
  });

  it('a smaller LRP scores lower on the same cell', () => {
    expect(lrpScore(free(900), total, need(64), idle, weights)).to.be.lessThan(lrpScore(free(900), total, need(128), idle, weights));
  });

  it('weighs memory, disk and containers equally', () => {
    expect(resourceScore(free(900, 1000), total, need(0))).to.equal(resourceScore(free(1000, 900), total, need(0)));
    expect(resourceScore(free(900, 1000), total, need(0))).to.equal(resourceScore(free(1000, 1000, 90), total, need(0)));
  });

  it('a cell starting containers scores higher than an idle one with the same resources', () => {
    expect(lrpScore(free(500), total, need(100), { starting: 1, colocated: 0 }, weights))
      .to.be.greaterThan(lrpScore(free(500), total, need(100), idle, weights));
  });

  it('one instance of the same LRP outweighs any difference in resources and starting containers', () => {
    const nearlyFull = lrpScore(free(100, 100, 1), total, need(100), { starting: 50, colocated: 0 }, weights);
    const emptyButHoldsOne = lrpScore(free(1000), total, need(100), { starting: 0, colocated: 1 }, weights);
    expect(nearlyFull).to.be.lessThan(emptyButHoldsOne);
  });

  it('a task on a cell already running tasks scores higher than on a fuller cell without', () => {
    expect(taskScore(free(200), total, need(100), idle, weights))
      .to.be.lessThan(taskScore(free(1000), total, need(100), { starting: 0, colocated: 1 }, weights));
  });

  it('the bin-pack weight favours a lower position only when it is set', () => {
    const at = (binIndex: number, w: ScoreWeights): number => lrpScore(free(500), total, need(100), { starting: 0, colocated: 0, binIndex }, w);
    expect(at(0, weights)).to.equal(at(3, weights));
    const packing = { ...weights, binPackFirstFitWeight: 0.1 };
    expect(at(0, packing)).to.be.lessThan(at(1, packing));
  });

  it('the table form agrees with the plain formula and refuses what does not fit', () => {
    const cells = [
      buildCell('a', { total: { memory_mb: 1000, disk_mb: 2000, containers: 10 }, lrps: [running('web')], starting_container_count: 1 }),
      buildCell('b', { total: { memory_mb: 3000, disk_mb: 500, containers: 250 }, tasks: [{ task_guid: 't', memory_mb: 50, disk_mb: 20 }], proxy_memory_allocation_mb: 32 }),
    ];
    const table = new CellTable(cells);
    const scores = new CellScores(table, weights);
    const web = table.instancesOf('web')!;
    table.loadLocal(web);
    cells.forEach((cell, c) => {
      const proxy = cell.proxy_memory_allocation_mb ?? 0;
      const load = { starting: cell.starting_container_count, colocated: cell.lrps.filter((l) => l.process_guid === 'web').length };
      expect(scores.lrpScoreAt(c, 100, 200)).to.be.closeTo(lrpScore(cell.available_resources, cell.total_resources, need(100 + proxy, 200), load, weights), 1e-12);
      expect(scores.taskScoreAt(c, 100, 200)).to.be.closeTo(taskScore(cell.available_resources, cell.total_resources, need(100, 200), { starting: cell.starting_container_count, colocated: cell.tasks.length }, weights), 1e-12);
      expect(scores.lrpScoreAt(c, cell.available_resources.memory_mb - proxy + 1, 0)).to.equal(Infinity);
      expect(scores.taskScoreAt(c, 0, cell.available_resources.disk_mb + 1)).to.equal(Infinity);
    });
    table.clearLocal(web);
    expect([...table.local]).to.deep.equal([0, 0]);
  });
});
