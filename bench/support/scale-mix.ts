/**
 * Diego's 250k workload (issue 14): 200k LRPs making 250k instances. 87.5 % of the LRPs have one
 * instance and the rest 2, 3 or 4 (1.25 on average), each 32 MB to 1 GB (30 % 32, 25 % 64,
 * 20 % 128, 15 % 256, 7 % 512, 3 % 1024; 156 MB on average). From a seeded PRNG: the same apps
 * on every run; a smaller `instances` is the same mix shrunk (the last LRP trimmed to fit).
 */
import { claimActualLrp, newUnclaimedActualLrp, startActualLrp, type ActualLRP } from '../../src/models/actual-lrp.js';
import { desireLrp } from '../../src/models/desired-lrp.js';
import { prng } from './prng.js';
import type { RowChain } from './raw-lmdb.js';

export const SCALE_ROOTFS = 'preloaded:cflinuxfs4';

export interface ScaleApp {
  process_guid: string;
  instances: number;
  memory_mb: number;
}

const MEMORY: ReadonlyArray<[mb: number, share: number]> = [[32, 0.3], [64, 0.25], [128, 0.2], [256, 0.15], [512, 0.07], [1024, 0.03]];

export function scaleMix(instances: number, seed = 14, prefix = 'app'): ScaleApp[] {
  const random = prng(seed);
  const apps: ScaleApp[] = [];
  for (let left = instances; left > 0;) {
    const many = random() >= 0.875;
    const count = Math.min(left, many ? 2 + Math.floor(random() * 3) : 1);
    let roll = random();
    const memory_mb = MEMORY.find(([, share]) => (roll -= share) < 0)?.[0] ?? 1024;
    apps.push({ process_guid: `${prefix}-${apps.length}`, instances: count, memory_mb });
    left -= count;
  }
  return apps;
}

/** The body of `POST /v1/desired_lrps` for one app: a process that runs until stopped. */
export function desiredLrpBody(app: ScaleApp): Record<string, unknown> {
  return {
    process_guid: app.process_guid, domain: 'bench', rootfs: SCALE_ROOTFS, instances: app.instances,
    memory_mb: app.memory_mb, disk_mb: app.memory_mb, ports: [8080],
    action: { run: { path: '/bin/app', user: 'vcap' } },
  };
}

/** One instance's UNCLAIMED, CLAIMED and RUNNING rows, the `n`th instance of the mix (across apps) on `cells` cells. */
export function instanceRows(app: ScaleApp, index: number, n: number, cells: number, now: number): { instance_guid: string; rows: [ActualLRP, ActualLRP, ActualLRP] } {
  const key = { instance_guid: `instance-${n}-5e7f9a1b-3c5d-4f7e`, cell_id: `sim-${String(n % cells).padStart(4, '0')}` };
  const unclaimed = newUnclaimedActualLrp({ process_guid: app.process_guid, index, domain: 'bench' }, now, { epoch: `epoch-${n}`, index: 0 });
  const claimed = claimActualLrp(unclaimed, key, now + 1);
  if (!claimed.ok) throw claimed.error;
  const running = startActualLrp(claimed.value, key, { address: '10.0.0.1', ports: [{ container_port: 8080, host_port: 61000 + index }] }, now + 2);
  if (!running.ok) throw running.error;
  return { instance_guid: key.instance_guid, rows: [unclaimed, claimed.value, running.value] };
}

/**
 * The rows the control journals for `apps`, as the actors write them: each LRP's DesiredLRP
 * (its supervisor's `desired` event) and each instance's UNCLAIMED, CLAIMED and RUNNING rows
 * (its actor's `row` events), on `cells` cells.
 */
export function journalRows(apps: readonly ScaleApp[], cells: number): RowChain[] {
  const chains: RowChain[] = [];
  const now = 1_700_000_000_000_000_000;
  let n = 0;
  for (const app of apps) {
    const desired = desireLrp(desiredLrpBody(app), { epoch: `epoch-${app.process_guid}`, index: 0 });
    if (!desired.ok) throw desired.error;
    chains.push({ key: `lrp/${app.process_guid}`, rows: [{ type: 'desired', desired: desired.value }] });
    for (let index = 0; index < app.instances; index++, n++) {
      const { instance_guid, rows: [unclaimed, claimed, running] } = instanceRows(app, index, n, cells, now);
      chains.push({
        key: `actual-lrp/${app.process_guid}/${index}`,
        rows: [{ type: 'row', actual: unclaimed, pending: instance_guid }, { type: 'row', actual: claimed, pending: '' }, { type: 'row', actual: running, pending: '' }],
      });
    }
  }
  return chains;
}
