/**
 * The query index (src/actors/query-index.ts) at INSTANCES rows (default 100 000) of Diego's mix
 * (bench/support/scale-mix.ts), fed the events the actors publish (each LRP's
 * `desired_lrp_created`, each instance's created UNCLAIMED, changed CLAIMED, changed RUNNING):
 * - `value`: bytes of heap per instance the index keeps (its structure, every RUNNING row and
 *   every DesiredLRP), after full GCs, as the heap added since before the first event;
 * - `limit_bytes`: the same final rows and DesiredLRPs in two plain arrays (the least that holds
 *   them), `ratio` = limit / value;
 * - `list_all_ms` (median of 5): `actualLrps()` over every row, `list_one_ms`: one guid's rows,
 *   `list_desired_ms`: `desiredLrps()` (sorted), and `copy_all_ms`: copying the plain array of
 *   rows (the least a full listing can cost).
 * Runs itself again with --expose-gc when `gc` is not exposed.
 */
import { QueryIndex } from '../src/actors/query-index.js';
import type { ActualLRP } from '../src/models/actual-lrp.js';
import { desireLrp, type DesiredLRP } from '../src/models/desired-lrp.js';
import { Events, type AuctorEvent } from '../src/models/events.js';
import { desiredLrpBody, instanceRows, scaleMix, type ScaleApp } from './support/scale-mix.js';
import { gc, rerunWithGc } from './support/expose-gc.js';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 100_000);
const CELLS = 1000;

const heapUsed = () => {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
};

/** One app's events as its supervisor and instances publish them; `n` numbers instances across apps. */
export function appEvents(app: ScaleApp, first: number): AuctorEvent[] {
  const now = 1_700_000_000_000_000_000;
  const desired = desireLrp(desiredLrpBody(app), { epoch: `epoch-${app.process_guid}`, index: 0 });
  if (!desired.ok) throw desired.error;
  const events: AuctorEvent[] = [Events.desiredLrpCreated(desired.value)];
  for (let index = 0; index < app.instances; index++) {
    const [unclaimed, claimed, running] = instanceRows(app, index, first + index, CELLS, now).rows;
    events.push(Events.actualLrpCreated(unclaimed), Events.actualLrpChanged(unclaimed, claimed), Events.actualLrpChanged(claimed, running));
  }
  return events;
}

function median(runs: number, fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

export async function main(): Promise<void> {
  if (rerunWithGc('index')) return;
  const apps = scaleMix(INSTANCES);

  // the limit: the final rows and DesiredLRPs in plain arrays
  let heap0 = heapUsed();
  const rows: ActualLRP[] = [];
  const desired: DesiredLRP[] = [];
  for (let a = 0, n = 0; a < apps.length; n += apps[a]!.instances, a++) {
    for (const e of appEvents(apps[a]!, n)) {
      if (e.type === 'desired_lrp_created') desired.push(e.data.desired_lrp);
      else if (e.type === 'actual_lrp_instance_changed' && e.data.after.state === 'RUNNING') rows.push(e.data.after);
    }
  }
  const limitBytes = (heapUsed() - heap0) / INSTANCES;
  const copyAllMs = median(5, () => void rows.slice());

  // the index, fed the same events (the arrays above are let go first)
  rows.length = 0;
  desired.length = 0;
  heap0 = heapUsed();
  const index = new QueryIndex();
  for (let a = 0, n = 0; a < apps.length; n += apps[a]!.instances, a++) {
    for (const e of appEvents(apps[a]!, n)) {
      if (e.type === 'desired_lrp_created') index.reserve(e.data.desired_lrp.process_guid);
      index.onEvent(e);
    }
  }
  const bytes = (heapUsed() - heap0) / INSTANCES;
  const size = index.size();
  if (size.rows !== INSTANCES) throw new Error(`the index holds ${size.rows} rows, not ${INSTANCES}`);
  const listAllMs = median(5, () => void index.actualLrps());
  const listOneMs = median(5, () => void index.actualLrps({ process_guid: apps[Math.floor(apps.length / 2)]!.process_guid }));
  const listCellMs = median(5, () => void index.actualLrps({ cell_id: 'sim-0500' }));
  const listDesiredMs = median(5, () => void index.desiredLrps());
  const round = (x: number, digits = 1) => Number(x.toFixed(digits));
  process.stdout.write(`${JSON.stringify({
    bench: 'index',
    value: round(bytes),
    unit: 'bytes of heap per instance in the query index (structure, RUNNING rows, DesiredLRPs)',
    instances: INSTANCES,
    lrps: size.lrps,
    limit_bytes: round(limitBytes),
    ratio: round(limitBytes / bytes, 3),
    list_all_ms: round(listAllMs, 2),
    copy_all_ms: round(copyAllMs, 2),
    list_one_ms: round(listOneMs, 4),
    list_cell_ms: round(listCellMs, 2),
    list_desired_ms: round(listDesiredMs, 2),
  })}\n`);
}
