import { expect } from 'chai';
import {
  actionCrashReason, cellStateFromLedger, containersOf, insufficientResources, lrpLogSource, reserveWork, type Slot,
} from '../../src/actors/cell-ledger.js';
import { adoptedSlot, lrpSpec } from '../../src/actors/cell-specs.js';
import type { CellPresence } from '../../src/models/cell-state.js';
import { buildTask } from '../models/builders.js';
import { lrpWork } from '../support/cell-harness.js';

const CAPACITY = { memory_mb: 1000, disk_mb: 1000, containers: 3 };
const PRESENCE: CellPresence = {
  cell_id: 'c', rep_address: 'a', rep_url: '', zone: 'z', capacity: CAPACITY, rootfs_providers: ['preloaded:host'], placement_tags: [], optional_placement_tags: [],
};

describe('cell ledger (pure)', () => {
  it('checks memory, then disk, then containers', () => {
    const one = new Map<string, Slot>([['a', { kind: 'task', handle: 'a', task_guid: 'a', memory_mb: 900, disk_mb: 900, state: 'RUNNING' }]]);
    expect(insufficientResources(CAPACITY, one, { memory_mb: 200, disk_mb: 200 })).to.equal('insufficient resources: memory');
    expect(insufficientResources(CAPACITY, one, { memory_mb: 100, disk_mb: 200 })).to.equal('insufficient resources: disk');
    expect(insufficientResources(CAPACITY, one, { memory_mb: 100, disk_mb: 100 })).to.equal(undefined);
    expect(insufficientResources({ ...CAPACITY, containers: 1 }, one, { memory_mb: 0, disk_mb: 0 })).to.equal('insufficient resources: containers');
  });

  it('reserves LRPs then tasks in order, skips what it already holds, and leaves the given ledger alone', () => {
    const held = new Map<string, Slot>([['ig-0', { kind: 'lrp', handle: 'ig-0', process_guid: 'web', index: 0, instance_guid: 'ig-0', memory_mb: 100, disk_mb: 0, state: 'RUNNING' }]]);
    const r = reserveWork(CAPACITY, held, {
      lrps: [lrpWork('ig-0'), lrpWork('ig-1', { memory_mb: 500 }, 1), lrpWork('ig-2', { memory_mb: 500 }, 2)],
      tasks: [{ task: buildTask({ task_guid: 't', memory_mb: 300 }) }],
    });
    expect(r.lrps.map((w) => w.instance_guid)).to.deep.equal(['ig-1']);
    expect(r.tasks.map((w) => w.task.task_guid)).to.deep.equal(['t']);
    expect(r.failed).to.deep.equal({ failedLrps: [{ process_guid: 'web', index: 2, instance_guid: 'ig-2', reason: 'insufficient resources: memory' }], failedTasks: [] });
    expect([...r.ledger.keys()]).to.deep.equal(['ig-0', 'ig-1', 't']);
    expect(held.size).to.equal(1);
    const state = cellStateFromLedger(PRESENCE, r.ledger);
    expect(state.available_resources).to.deep.equal({ memory_mb: 100, disk_mb: 1000, containers: 0 });
    expect(state.starting_container_count).to.equal(1);
    expect(containersOf(r.ledger)).to.deep.equal([
      { kind: 'lrp', process_guid: 'web', index: 0, instance_guid: 'ig-0', state: 'RUNNING' },
      { kind: 'lrp', process_guid: 'web', index: 1, instance_guid: 'ig-1', state: 'CLAIMED' },
      { kind: 'task', task_guid: 't', state: 'RUNNING' },
    ]);
  });

  it('says Diego\'s crash reasons and log sources', () => {
    expect(actionCrashReason(undefined, 'Exited with status 17')).to.equal('APP/PROC/WEB: Exited with status 17');
    expect(actionCrashReason('', undefined)).to.equal('APP/PROC/WEB: Exited with status 0');
    expect(actionCrashReason('WORKER', 'Codependent step exited')).to.equal('WORKER: Codependent step exited');
    expect(lrpLogSource(undefined, 4)).to.equal('APP/PROC/WEB/4');
    expect(lrpLogSource('WORKER', 4)).to.equal('WORKER');
  });

  it('an LRP container keeps what a restarted cell needs to adopt it', () => {
    const check_definition = { checks: [{ http_check: { port: 8080, path: '/health' } }] };
    const spec = lrpSpec(lrpWork('ig-1', { check_definition, start_timeout_ms: 5000, memory_mb: 64, ports: [8080] }, 2));
    const adopted = adoptedSlot('ig-1', {
      handle: 'ig-1', state: 'active', path: '/x', externalIp: '127.0.0.1', ports: [], memory: { enforced: false, mechanism: 'none' },
      limits: spec.limits!, properties: spec.properties!, processes: [], adopted: true,
    });
    expect(adopted?.slot).to.deep.equal({ kind: 'lrp', handle: 'ig-1', process_guid: 'web', index: 2, instance_guid: 'ig-1', memory_mb: 64, disk_mb: 0, state: 'CLAIMED' });
    expect(adopted?.job).to.deep.equal({ kind: 'lrp', run: { start_timeout_ms: 5000, check_definition, index: 2 } });
    expect(adoptedSlot('x', { properties: {}, limits: {} } as never)).to.equal(undefined);
  });
});
