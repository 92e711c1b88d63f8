/** A cell actor in its own actor system, with a collector for its reports. */
import { expect } from 'chai';
import type { Clock } from '../../src/base/clock.js';
import type { Ref } from '../../src/runtime/kernel/protocol.js';
import { ActorSystem } from '../../src/runtime/kernel/system.js';
import { spawnCell, type CellSettings } from '../../src/actors/cell.js';
import { localCellClient } from '../../src/actors/cell-client.js';
import type { CellClient, CellMsg, CellReport, LrpWork } from '../../src/actors/cell.protocol.js';
import type { GardenBackend, OutputLine } from '../../src/garden/backend.js';
import type { DesiredLRP } from '../../src/models/desired-lrp.js';
import { buildDesiredLrp } from '../models/builders.js';
import { eventually } from './eventually.js';

export const CELL_ID = 'cell-1';

export const SETTINGS: CellSettings = {
  gracefulStopMs: 200,
  unhealthyIntervalMs: 50,
  healthyIntervalMs: 100,
  heartbeatMs: 1000,
  reconcileMs: 5000,
  evacuationTimeoutMs: 10_000,
};

export type ReportOf<T extends CellReport['type']> = Extract<CellReport, { type: T }>;

export interface CellHarness {
  system: ActorSystem;
  cell: Ref<CellMsg>;
  client: CellClient;
  reports: CellReport[];
  lines: Array<{ handle: string; line: OutputLine }>;
  /** the reports of one type, in order */
  of<T extends CellReport['type']>(type: T): Array<ReportOf<T>>;
  /** waits for a report of `type` matching `where` and returns it */
  next<T extends CellReport['type']>(type: T, where?: (r: ReportOf<T>) => boolean, timeout?: number): Promise<ReportOf<T>>;
  shutdown(): Promise<void>;
}

export function startCell(backend: GardenBackend, options: { clock?: Clock; settings?: Partial<CellSettings> } = {}): CellHarness {
  const system = ActorSystem.start({ name: `cell-test-${Math.random().toString(36).slice(2)}`, ...(options.clock ? { clock: options.clock } : {}) });
  const reports: CellReport[] = [];
  const lines: CellHarness['lines'] = [];
  const collector = system.spawnStateless<CellReport>(system.root, { kind: 'collector', name: 'reports', handle: (r) => void reports.push(r) });
  const cell = spawnCell(system, system.root, {
    cellId: CELL_ID,
    zone: 'z1',
    placementTags: ['gpu'],
    optionalPlacementTags: ['ssd'],
    backend,
    reports: collector,
    settings: { ...SETTINGS, ...options.settings },
    onOutput: (handle, line) => lines.push({ handle, line }),
  });
  const of = <T extends CellReport['type']>(type: T) => reports.filter((r): r is ReportOf<T> => r.type === type);
  return {
    system,
    cell,
    client: localCellClient(system, cell, CELL_ID),
    reports,
    lines,
    of,
    next: (type, where = () => true, timeout = 5000) =>
      eventually(() => {
        const found = of(type).find(where);
        expect(found, `a ${type} report`).to.not.equal(undefined);
        return found!;
      }, { timeout }),
    shutdown: () => system.shutdown(),
  };
}

export function lrpWork(instance_guid: string, overrides: Partial<DesiredLRP> = {}, index = 0): LrpWork {
  return { desired: buildDesiredLrp(overrides), index, instance_guid };
}
