import { expect } from 'chai';
import { describeShortfall, insufficientResourcesError, matchPlacementTags, matchRootfs, placementTagMismatchError, Problem } from '../../src/auction/filter.js';
import { schedule } from '../../src/auction/schedule.js';
import { PlacementErrors, type CellState } from '../../src/auction/types.js';
import { buildCell, buildLrp, buildTask, running } from '../support/auction-builders.js';

describe('auction filter: rootfs', () => {
  const providers = ['preloaded:cflinuxfs4', 'preloaded:busybox', 'docker'];
  const cases: Array<[rootfs: string, providers: string[], matches: boolean]> = [
    ['preloaded:cflinuxfs4', providers, true],
    ['preloaded:busybox', providers, true],
    ['preloaded:cflinuxfs3', providers, false],
    ['preloaded+layer:cflinuxfs4?layer=http://x/layer.tgz&layer_digest=abc', providers, true],
    ['preloaded+layer:cflinuxfs3?layer=http://x/layer.tgz', providers, false],
    ['docker:///cloudfoundry/grace', providers, true],
    ['docker://registry.example.com/app:v1', providers, true],
    ['docker:///cloudfoundry/grace', ['preloaded:cflinuxfs4'], false],
    ['oci:///image', providers, false],
    ['/var/vcap/rootfs', providers, false],
    ['', providers, false],
    ['preloaded:cflinuxfs4', ['preloaded'], false],
  ];
  for (const [rootfs, list, matches] of cases) {
    it(`${JSON.stringify(rootfs)} ${matches ? 'matches' : 'does not match'} ${JSON.stringify(list)}`, () => {
      expect(matchRootfs(buildCell('c', { rootfs_providers: list }), rootfs)).to.equal(matches);
    });
  }

  it('fails with Diego\'s error when no cell has the rootfs', () => {
    const result = schedule({ lrps: [buildLrp('a', 0, { rootfs: 'preloaded:windows' })], tasks: [buildTask('t', { rootfs: 'oci:///x' })] }, [buildCell('c1')]);
    expect(result.lrpFailures[0]!.placement_error).to.equal(PlacementErrors.rootfsMismatch);
    expect(result.taskFailures[0]!.placement_error).to.equal('found no compatible cell for required rootfs');
    expect(result.lrpFailures[0]!.best_candidate).to.equal(undefined);
  });
});

describe('auction filter: placement tags', () => {
  const cell = (required: string[], optional: string[] = []): CellState => buildCell('c', { placement_tags: required, optional_placement_tags: optional });
  const cases: Array<[required: string[], optional: string[], desired: string[], matches: boolean]> = [
    [[], [], [], true],
    [[], [], ['x'], false],
    [['a'], [], [], false],
    [['a'], [], ['a'], true],
    [['a'], ['b'], ['a'], true],
    [['a'], ['b'], ['a', 'b'], true],
    [['a'], ['b'], ['b'], false],
    [['a'], ['b'], ['a', 'c'], false],
    [[], ['b'], [], true],
    [['a', 'b'], [], ['b', 'a'], true],
  ];
  for (const [required, optional, desired, matches] of cases) {
    it(`cell required ${JSON.stringify(required)} optional ${JSON.stringify(optional)} ${matches ? 'takes' : 'refuses'} desired ${JSON.stringify(desired)}`, () => {
      expect(matchPlacementTags(cell(required, optional), desired)).to.equal(matches);
    });
  }

  const texts: Array<[string[], string]> = [
    [[], 'found no compatible cell with no placement tags'],
    [['x'], 'found no compatible cell with placement tag "x"'],
    [['a', 'b'], 'found no compatible cell with placement tags "a" and "b"'],
    [['a', 'b', 'c'], 'found no compatible cell with placement tags "a", "b" and "c"'],
  ];
  for (const [tags, text] of texts) {
    it(`names tags ${JSON.stringify(tags)} as Diego does`, () => {
      expect(placementTagMismatchError(tags)).to.equal(text);
      const result = schedule({ lrps: [buildLrp('a', 0, { placement_tags: tags })], tasks: [buildTask('t', { placement_tags: tags })] }, [cell(['other'])]);
      expect(result.lrpFailures[0]!.placement_error).to.equal(text);
      expect(result.taskFailures[0]!.placement_error).to.equal(text);
    });
  }

  it('reports the tag error when one cell has the rootfs but the wrong tags and another the tags but not the rootfs', () => {
    const cells = [
      buildCell('rootfs-only', { placement_tags: ['other'] }),
      buildCell('tags-only', { placement_tags: ['gpu'], rootfs_providers: ['preloaded:windows'] }),
    ];
    const result = schedule({ lrps: [buildLrp('a', 0, { placement_tags: ['gpu'] })], tasks: [] }, cells);
    expect(result.lrpFailures[0]!.placement_error).to.equal('found no compatible cell with placement tag "gpu"');
  });

  it('places work only on cells whose tags match', () => {
    const cells = [buildCell('plain'), buildCell('gpu', { placement_tags: ['gpu'], lrps: [running('x')] })];
    const result = schedule({ lrps: [buildLrp('a', 0, { placement_tags: ['gpu'] }), buildLrp('b')], tasks: [] }, cells);
    expect(result.lrpPlacements.map((p) => [p.request.process_guid, p.cell_id])).to.deep.equal([['a', 'gpu'], ['b', 'plain']]);
  });
});

describe('auction filter: resources', () => {
  it('lists problems in Diego\'s sorted order', () => {
    expect(insufficientResourcesError(Problem.memory | Problem.containers | Problem.disk)).to.equal('insufficient resources: containers, disk, memory');
    expect(insufficientResourcesError(Problem.memory | Problem.disk)).to.equal('insufficient resources: disk, memory');
    expect(insufficientResourcesError(0)).to.equal('insufficient resources');
  });

  const lrp = buildLrp('a', 0, { memory_mb: 1024, disk_mb: 1024 });
  const cases: Array<[name: string, cells: CellState[], prefix: string]> = [
    ['one cell lacks memory, another memory and disk', [
      buildCell('c1', { available: { memory_mb: 512 } }),
      buildCell('c2', { available: { memory_mb: 512, disk_mb: 512 } }),
    ], 'insufficient resources: memory'],
    ['one cell lacks memory, another disk', [
      buildCell('c1', { available: { memory_mb: 512 } }),
      buildCell('c2', { available: { disk_mb: 512 } }),
    ], 'insufficient resources'],
    ['every cell lacks containers and memory, one also disk', [
      buildCell('c1', { available: { memory_mb: 512, containers: 0 } }),
      buildCell('c2', { available: { memory_mb: 512, disk_mb: 512, containers: 0 } }),
    ], 'insufficient resources: containers, memory'],
    ['a roomy cell is excluded by its rootfs', [
      buildCell('c1', { available: { memory_mb: 512 } }),
      buildCell('windows', { rootfs_providers: ['preloaded:windows'], available: { disk_mb: 0 } }),
    ], 'insufficient resources: memory'],
  ];
  for (const [name, cells, prefix] of cases) {
    it(`reports "${prefix}" when ${name}`, () => {
      const error = schedule({ lrps: [lrp], tasks: [] }, cells).lrpFailures[0]!.placement_error;
      expect(error.slice(0, error.indexOf(' ('))).to.equal(prefix);
      expect(error.startsWith(`${prefix} (best candidate `)).to.equal(true);
    });
  }

  it('names the best candidate by shortfall relative to the cell\'s size', () => {
    const cells = [
      buildCell('small', { total: { memory_mb: 1024 }, available: { memory_mb: 768 } }),
      buildCell('big', { total: { memory_mb: 8192 }, available: { memory_mb: 512 } }),
      buildCell('windows', { rootfs_providers: ['preloaded:windows'], available: { memory_mb: 1000 } }),
    ];
    const failure = schedule({ lrps: [buildLrp('a', 0, { memory_mb: 1024 })], tasks: [] }, cells).lrpFailures[0]!;
    expect(failure.placement_error).to.equal('insufficient resources: memory (best candidate big is short 512 MB of memory)');
    expect(failure.best_candidate).to.deep.equal({ cell_id: 'big', shortfall: { memory_mb: 512 } });
  });

  it('explains each failure against the cells as they were when it was auctioned', () => {
    const cells = [buildCell('c1', { available: { memory_mb: 900 } })];
    const batch = { lrps: [buildLrp('a', 0, { memory_mb: 1000 }), buildLrp('b', 1, { memory_mb: 1000 }), buildLrp('c', 1, { memory_mb: 1000 })], tasks: [buildTask('t', { memory_mb: 100 })] };
    const result = schedule(batch, cells);
    expect(result.taskPlacements).to.have.length(1);
    expect(result.lrpFailures.map((f) => f.best_candidate!.shortfall.memory_mb)).to.deep.equal([100, 200, 200]);
  });

  it('names the first of equally short candidates', () => {
    const cells = [buildCell('first', { available: { memory_mb: 100 } }), buildCell('second', { available: { memory_mb: 100 } })];
    expect(schedule({ lrps: [buildLrp('a', 0, { memory_mb: 200 })], tasks: [] }, cells).lrpFailures[0]!.best_candidate!.cell_id).to.equal('first');
  });

  it('gives every short dimension of the best candidate, including the proxy\'s memory', () => {
    const cells = [buildCell('c1', { available: { memory_mb: 100, disk_mb: 50, containers: 0 }, proxy_memory_allocation_mb: 32 })];
    const failure = schedule({ lrps: [buildLrp('a', 0, { memory_mb: 128, disk_mb: 100 })], tasks: [] }, cells).lrpFailures[0]!;
    expect(failure.best_candidate).to.deep.equal({ cell_id: 'c1', shortfall: { memory_mb: 60, disk_mb: 50, containers: 1 } });
    expect(failure.placement_error).to.equal('insufficient resources: containers, disk, memory (best candidate c1 is short 1 container, 50 MB of disk and 60 MB of memory)');
  });

  it('explains task failures the same way', () => {
    const failure = schedule({ lrps: [], tasks: [buildTask('t', { memory_mb: 2048 })] }, [buildCell('c1', { total: { memory_mb: 1024 } })]).taskFailures[0]!;
    expect(failure.placement_error).to.equal('insufficient resources: memory (best candidate c1 is short 1024 MB of memory)');
    expect(failure.best_candidate).to.deep.equal({ cell_id: 'c1', shortfall: { memory_mb: 1024 } });
  });

  it('describes shortfalls in the problem list\'s order', () => {
    expect(describeShortfall({ memory_mb: 512 })).to.equal('512 MB of memory');
    expect(describeShortfall({ memory_mb: 512, disk_mb: 100 })).to.equal('100 MB of disk and 512 MB of memory');
    expect(describeShortfall({ containers: 2, memory_mb: 1 })).to.equal('2 containers and 1 MB of memory');
  });
});
