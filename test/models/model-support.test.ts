import { expect } from 'chai';
import { cellStateOf, matchesPlacementTags, supportsRootfs, type CellPresence } from '../../src/models/cell-state.js';
import { DOMAIN_FOREVER, freshDomains, isDomainFresh, upsertDomain, validateDomainUpsert } from '../../src/models/domain.js';
import { EVENT_TYPES, Events, type AuctorEvent } from '../../src/models/events.js';
import { incrementModificationTag, modificationTagSucceededBy, newModificationTag } from '../../src/models/modification-tag.js';
import { truncateUtf8, utf8Length } from '../../src/models/text.js';
import { msToNs, nsToMs } from '../../src/models/time.js';
import { SEC, T0, buildActualLrp, buildDesiredLrp, buildTask, messageOf } from './builders.js';

const cell: CellPresence = {
  cell_id: 'cell-1', rep_address: '127.0.0.1:7777', rep_url: '', zone: 'z1',
  capacity: { memory_mb: 1024, disk_mb: 2048, containers: 10 },
  rootfs_providers: ['preloaded:host', 'preloaded:busybox', 'docker'],
  placement_tags: ['gpu'], optional_placement_tags: ['ssd'],
};

describe('modification tags', () => {
  it('starts at index 0 with the given or generated epoch, and increments the index only', () => {
    expect(newModificationTag('abc')).to.deep.equal({ epoch: 'abc', index: 0 });
    let n = 0;
    const generate = () => `guid-${++n}`;
    expect([newModificationTag(generate), newModificationTag(generate)]).to.deep.equal([{ epoch: 'guid-1', index: 0 }, { epoch: 'guid-2', index: 0 }]);
    expect(incrementModificationTag({ epoch: 'e', index: 7 })).to.deep.equal({ epoch: 'e', index: 8 });
  });

  it('orders versions as BBS SucceededBy does', () => {
    const table: [{ epoch: string; index: number } | undefined, { epoch: string; index: number }, boolean][] = [
      [{ epoch: 'e', index: 1 }, { epoch: 'e', index: 2 }, true],
      [{ epoch: 'e', index: 2 }, { epoch: 'e', index: 2 }, false],
      [{ epoch: 'e', index: 3 }, { epoch: 'e', index: 2 }, false],
      [{ epoch: 'e', index: 3 }, { epoch: 'f', index: 0 }, true],
      [undefined, { epoch: 'e', index: 0 }, true],
      [{ epoch: '', index: 5 }, { epoch: 'e', index: 0 }, true],
    ];
    for (const [current, next, expected] of table) expect(modificationTagSucceededBy(current, next)).to.equal(expected);
  });
});

describe('byte-exact text and time units', () => {
  it('measures and cuts UTF-8 without splitting a character', () => {
    expect([utf8Length('abc'), utf8Length('é'), utf8Length('∆'), utf8Length('😀')]).to.deep.equal([3, 2, 3, 4]);
    expect(truncateUtf8('abcdef', 4)).to.equal('abcd');
    expect(truncateUtf8('aé', 2)).to.equal('a');
    expect(truncateUtf8('aé', 3)).to.equal('aé');
    expect(truncateUtf8('😀😀', 7)).to.equal('😀');
    expect(truncateUtf8('short', 1024)).to.equal('short');
  });

  it('converts ms and ns', () => {
    expect([msToNs(1500), nsToMs(1_500_999_999)]).to.deep.equal([1_500_000_000, 1500]);
  });
});

describe('domains', () => {
  it('is fresh until its ttl runs out; ttl 0 is forever', () => {
    const table: [number, number, boolean][] = [
      [2, 2 * SEC - 1, true],
      [2, 2 * SEC, false],
      [0, 1e6 * SEC, true],
    ];
    for (const [ttl, after, fresh] of table) expect(isDomainFresh(upsertDomain('d', ttl, T0), T0 + after), `ttl ${ttl}, +${after}`).to.equal(fresh);
    expect(upsertDomain('d', 0, T0).expire_time).to.equal(DOMAIN_FOREVER);
    // at a real ns epoch (beyond 2^53), forever is still fresh
    const nowNs = 1_795_000_000_000_000_000;
    expect(isDomainFresh(upsertDomain('d', 0, nowNs), nowNs + 3600 * SEC)).to.equal(true);
    expect(freshDomains([upsertDomain('b', 0, T0), upsertDomain('c', 1, T0), upsertDomain('a', 10, T0)], T0 + 5 * SEC)).to.deep.equal(['a', 'b']);
  });

  it('validates an upsert', () => {
    const table: [string, unknown, string][] = [
      ['d', { ttl: 30 }, 'ok'],
      ['d', {}, 'ok'],
      ['d', undefined, 'ok'],
      ['', { ttl: 1 }, 'invalid field: domain'],
      ['d', { ttl: -1 }, 'invalid field: ttl: must be in 0..4294967295, got -1'],
      ['d', { ttl: 'soon' }, 'invalid field: ttl'],
    ];
    for (const [domain, body, expected] of table) expect(messageOf(validateDomainUpsert(domain, body))).to.equal(expected);
    const result = validateDomainUpsert('d', {});
    expect(result.ok && result.value).to.deep.equal({ domain: 'd', ttl: 0 });
  });
});

describe('cell state', () => {
  it('derives available resources from the work on the cell', () => {
    const state = cellStateOf(cell, {
      lrps: [{ process_guid: 'web', index: 0, memory_mb: 256, disk_mb: 512 }],
      tasks: [{ task_guid: 't', memory_mb: 128, disk_mb: 0 }],
      starting_container_count: 1,
    });
    expect(state.available_resources).to.deep.equal({ memory_mb: 640, disk_mb: 1536, containers: 8 });
    expect(state.total_resources).to.deep.equal(cell.capacity);
    expect([state.starting_container_count, state.evacuating, state.zone]).to.deep.equal([1, false, 'z1']);
    const full = cellStateOf(cell, { lrps: [{ process_guid: 'big', index: 0, memory_mb: 4096, disk_mb: 0 }], evacuating: true });
    expect([full.available_resources.memory_mb, full.evacuating]).to.deep.equal([0, true]);
  });

  it('supports a preloaded rootfs only when listed, another scheme when the scheme is listed', () => {
    const table: [string, boolean][] = [
      ['preloaded:host', true],
      ['preloaded:busybox', true],
      ['preloaded:cflinuxfs4', false],
      ['docker:///cloudfoundry/grace', true],
      ['oci:///x', false],
      ['ploop', false],
    ];
    for (const [rootfs, ok] of table) expect(supportsRootfs(cell, rootfs), rootfs).to.equal(ok);
  });

  it('matches placement tags: required ⊆ desired ⊆ required ∪ optional', () => {
    const table: [string[], boolean][] = [
      [['gpu'], true],
      [['gpu', 'ssd'], true],
      [[], false],
      [['ssd'], false],
      [['gpu', 'arm'], false],
    ];
    for (const [tags, ok] of table) expect(matchesPlacementTags(cell, tags), tags.join(',')).to.equal(ok);
    expect(matchesPlacementTags({ placement_tags: [], optional_placement_tags: [] }, [])).to.equal(true);
  });
});

describe('events', () => {
  it('build API.md’s type names and data shapes', () => {
    const desired = buildDesiredLrp();
    const actual = buildActualLrp({ state: 'RUNNING' });
    const task = buildTask();
    const events: AuctorEvent[] = [
      Events.desiredLrpCreated(desired), Events.desiredLrpChanged(desired, desired), Events.desiredLrpRemoved(desired),
      Events.actualLrpCreated(actual), Events.actualLrpChanged(actual, actual), Events.actualLrpRemoved(actual),
      Events.actualLrpCrashed(actual, { ...actual, state: 'CRASHED', crash_count: 3, crash_reason: 'boom', since: T0 + 1 }),
      Events.taskCreated(task), Events.taskChanged(task, task), Events.taskRemoved(task),
      Events.cellAppeared(cell), Events.cellDisappeared('cell-1'),
    ];
    expect(events.map((e) => e.type)).to.deep.equal(EVENT_TYPES);
    expect(events.map((e) => Object.keys(e.data).join(','))).to.deep.equal([
      'desired_lrp', 'before,after', 'desired_lrp',
      'actual_lrp', 'before,after', 'actual_lrp',
      'process_guid,index,instance_guid,cell_id,crash_count,crash_reason,since',
      'task', 'before,after', 'task',
      'cell', 'cell_id',
    ]);
    expect(events[6]!.data).to.deep.equal({ process_guid: 'web', index: 0, instance_guid: 'ig-1', cell_id: 'cell-1', crash_count: 3, crash_reason: 'boom', since: T0 + 1 });
  });
});
