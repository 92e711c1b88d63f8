/**
 * What runs, seen from three sides, and the placement invariants checked against what is desired:
 * - the ActualLRP rows (`GET /v1/actual_lrps`);
 * - the live processes of the `process` backend: every process under a keeper (a child of a
 *   keeper `sh`, not the keeper itself) whose environment holds `CHAOS_PROCESS_GUID` and a `HOME`
 *   under the run's root, read from /proc; its `HOME` names the node's data dir, so its cell;
 * - the containers a `fake` cell holds (its cell actor's summary over `GET /v1/actors`).
 *
 * The invariants (each a failure when it still holds once the settle bound has passed, except
 * `doubled-row`, which counts at any moment):
 * - `doubled-row`: two RUNNING ORDINARY rows for one (process_guid, index);
 * - `doubled-process`: two live processes or containers for one (process_guid, index);
 * - `orphan`: a live process or container that no CLAIMED or RUNNING row accounts for;
 * - `phantom-row`: a RUNNING row whose cell runs nothing with its instance guid;
 * - `row-beyond-instances`: a row at or above `instances`, or of an LRP no longer desired;
 * - `desired-not-running`: a desired index with no RUNNING ORDINARY row.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { http, type LogLine } from '../../support/gateway-node.js';
import type { ActualRow } from '../../support/cluster-nodes.js';
import type { SseEvent } from '../../support/sse.js';
import type { ChaosRun, Invariant } from './chaos-run.js';

/** One running copy of an instance: a process or a fake container, on `cell`. */
export interface Copy {
  process_guid: string;
  index: number;
  instance_guid: string;
  cell: string;
  /** the process id (process backend) */
  pid?: number;
}

export interface Observation {
  rows: ActualRow[];
  copies: Copy[];
}

export interface Violation {
  invariant: Invariant;
  process_guid: string;
  message: string;
  evidence: unknown;
}

/** Where to look: the gateway, the control node's name, the run's root dir (process cells), the fake cells. */
export interface Where {
  url: string;
  control: string;
  root: string;
  fakeCells: string[];
  /** every node's log lines so far, for the evidence */
  logs?: () => Array<{ node: string; lines: LogLine[] }>;
  /** the control node's events of this cycle, for the evidence */
  events?: () => SseEvent[];
}

/** After the bound, how long to go on watching a desired instance that is not RUNNING, to say when it recovered (`CHAOS_LATE_MS`, default 0: not at all). */
const LATE_MS = Number(process.env.CHAOS_LATE_MS ?? 0);

export async function observe(where: Where): Promise<Observation> {
  const answer = await http(where.url, 'GET', '/v1/actual_lrps');
  if (answer.status !== 200) throw new Error(`GET /v1/actual_lrps: ${answer.status} ${answer.text}`);
  const copies = liveProcesses(where.root);
  for (const cell of where.fakeCells) copies.push(...(await fakeContainers(where.url, cell)));
  return { rows: answer.json as ActualRow[], copies };
}

/** The app processes the process backend runs under `root` (keepers excluded). */
export function liveProcesses(root: string): Copy[] {
  const seen: Array<{ pid: number; ppid: number; keeper: boolean; env: Map<string, string> }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (!environ.includes('CHAOS_PROCESS_GUID=')) continue;
      const env = new Map(environ.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      if (!env.get('HOME')?.startsWith(root + sep)) continue;
      // stat: "pid (comm) state ppid ...", comm may hold spaces
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      seen.push({ pid: Number(entry), ppid: Number(ppid), keeper: argv[3] === 'keeper', env });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  const keepers = new Set(seen.filter((p) => p.keeper).map((p) => p.pid));
  return seen
    .filter((p) => !p.keeper && keepers.has(p.ppid))
    .map((p) => ({
      process_guid: p.env.get('CHAOS_PROCESS_GUID')!,
      index: Number(p.env.get('INSTANCE_INDEX')),
      instance_guid: p.env.get('INSTANCE_GUID')!,
      cell: relative(root, p.env.get('HOME')!).split(sep)[0]!,
      pid: p.pid,
    }));
}

/** The LRP containers a fake cell's actor holds. */
async function fakeContainers(url: string, cell: string): Promise<Copy[]> {
  const answer = await http(url, 'GET', `/v1/actors/${cell}/cell-${cell}?depth=1`);
  if (answer.status !== 200) throw new Error(`GET /v1/actors/${cell}/cell-${cell}: ${answer.status} ${answer.text}`);
  const containers = (answer.json.summary?.containers ?? []) as Array<{ kind: string; process_guid: string; index: number; instance_guid: string }>;
  return containers.filter((c) => c.kind === 'lrp').map((c) => ({ process_guid: c.process_guid, index: c.index, instance_guid: c.instance_guid, cell }));
}

const slot = (guid: string, index: number) => `${guid}/${index}`;
const brief = (r: ActualRow) => ({ index: r.index, state: r.state, presence: r.presence, cell: r.cell_id, instance_guid: r.instance_guid, crash_count: r.crash_count });

/** Two RUNNING ORDINARY rows for one index: a failure whenever it is seen. */
export function doubledRows(obs: Observation): Violation[] {
  const bySlot = groupBy(obs.rows.filter((r) => r.state === 'RUNNING' && r.presence === 'ORDINARY'), (r) => slot(r.process_guid, r.index));
  return [...bySlot.values()].filter((rows) => rows.length > 1).map((rows) => ({
    invariant: 'doubled-row', process_guid: rows[0]!.process_guid,
    message: `${rows.length} RUNNING ORDINARY rows for ${slot(rows[0]!.process_guid, rows[0]!.index)}`, evidence: rows.map(brief),
  }));
}

/**
 * Every placement invariant against `desired` (process_guid → instances), for the LRPs in it and
 * every row or copy of an LRP not in it.
 */
export function placementViolations(obs: Observation, desired: Map<string, number>): Violation[] {
  const out: Violation[] = doubledRows(obs);
  const rowsOf = (guid: string) => obs.rows.filter((r) => r.process_guid === guid).map(brief);
  for (const r of obs.rows) {
    const n = desired.get(r.process_guid);
    if (n === undefined || r.index >= n) {
      out.push({ invariant: 'row-beyond-instances', process_guid: r.process_guid, message: `row ${slot(r.process_guid, r.index)} (${r.state} ${r.presence}) with ${n === undefined ? 'no DesiredLRP' : `instances ${n}`}`, evidence: brief(r) });
    }
  }
  for (const [guid, n] of desired) {
    for (let index = 0; index < n; index++) {
      if (!obs.rows.some((r) => r.process_guid === guid && r.index === index && r.state === 'RUNNING' && r.presence === 'ORDINARY')) {
        out.push({ invariant: 'desired-not-running', process_guid: guid, message: `${slot(guid, index)} is not RUNNING`, evidence: { rows: rowsOf(guid) } });
      }
    }
  }
  for (const copies of groupBy(obs.copies, (c) => slot(c.process_guid, c.index)).values()) {
    if (copies.length > 1) out.push({ invariant: 'doubled-process', process_guid: copies[0]!.process_guid, message: `${copies.length} live copies of ${slot(copies[0]!.process_guid, copies[0]!.index)}`, evidence: { copies, rows: rowsOf(copies[0]!.process_guid) } });
  }
  for (const c of obs.copies) {
    const owner = obs.rows.find((r) => r.instance_guid === c.instance_guid && r.cell_id === c.cell && (r.state === 'RUNNING' || r.state === 'CLAIMED'));
    if (!owner) out.push({ invariant: 'orphan', process_guid: c.process_guid, message: `${slot(c.process_guid, c.index)} ${c.instance_guid} runs on ${c.cell} and no row accounts for it`, evidence: { copy: c, rows: rowsOf(c.process_guid) } });
  }
  for (const r of obs.rows) {
    if (r.state === 'RUNNING' && !obs.copies.some((c) => c.instance_guid === r.instance_guid && c.cell === r.cell_id)) {
      out.push({ invariant: 'phantom-row', process_guid: r.process_guid, message: `RUNNING row ${slot(r.process_guid, r.index)} on ${r.cell_id} has no process behind it`, evidence: { row: brief(r), copies_of_lrp: obs.copies.filter((c) => c.process_guid === r.process_guid) } });
    }
  }
  return out;
}

/**
 * Waits (bounded by `boundMs`) until no placement invariant is broken; reports a doubled row at
 * once, and every violation still there at the bound, with the rows and the control side's
 * actors of the LRP concerned. When only instances not yet RUNNING are left, it goes on watching
 * up to LATE_MS to say when they recovered (a stale UNCLAIMED row is auctioned again after 30 s).
 * Returns the last observation and what was reported.
 */
export async function settle(run: ChaosRun, where: Where, desired: Map<string, number>, boundMs: number): Promise<{ obs: Observation; violations: Violation[] }> {
  const started = Date.now();
  const doubled = new Set<string>();
  const reported: Violation[] = [];
  let late: Violation[] | undefined;
  for (;;) {
    let obs: Observation;
    try {
      obs = await observe(where);
    } catch (error) {
      if (Date.now() > started + boundMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    for (const v of doubledRows(obs)) {
      if (doubled.has(v.message)) continue;
      doubled.add(v.message);
      reported.push(v);
      run.fail(v.invariant, v.message, { rows: v.evidence, events: eventsOf(where, v.process_guid, v.evidence) });
    }
    const violations = placementViolations(obs, desired).filter((v) => v.invariant !== 'doubled-row');
    if (violations.length === 0) {
      if (late) console.log(`      (cycle ${run.cycle}: every desired instance RUNNING ${Date.now() - started} ms after the restart)`);
      return { obs, violations: reported };
    }
    const elapsed = Date.now() - started;
    if (!late && elapsed > boundMs) {
      for (const v of violations) {
        run.fail(v.invariant, `${v.message} (still, ${boundMs} ms on)`, {
          ...(v.evidence as object), actors: await actorViews(where, v.process_guid), rows: obs.rows.filter((r) => r.process_guid === v.process_guid),
          log: mentions(where, v.evidence), events: eventsOf(where, v.process_guid, v.evidence),
        });
      }
      late = violations;
      reported.push(...violations);
    }
    if (late && (elapsed > boundMs + LATE_MS || violations.some((v) => v.invariant !== 'desired-not-running'))) {
      if (violations.every((v) => v.invariant === 'desired-not-running')) console.log(`      (cycle ${run.cycle}: still not RUNNING ${elapsed} ms after the restart)`);
      return { obs, violations: reported };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The log lines (of every node) that name an instance guid the evidence names. */
function mentions(where: Where, evidence: unknown): unknown[] {
  const guids = instanceGuids(evidence);
  if (!where.logs || guids.length === 0) return [];
  const out: unknown[] = [];
  for (const { node, lines } of where.logs()) {
    for (const line of lines) {
      const text = JSON.stringify(line);
      if (guids.some((g) => text.includes(g))) out.push({ node, ...line });
    }
  }
  return out.slice(-40);
}

/** The events of this cycle about one LRP: those that name an instance the evidence names, and the last 20. */
function eventsOf(where: Where, guid: string, evidence: unknown = {}): unknown[] {
  const instances = instanceGuids(evidence);
  const about = (where.events?.() ?? []).filter((e) => e.data.includes(`"process_guid":"${guid}"`));
  const kept = about.filter((e, i) => i >= about.length - 20 || instances.some((g) => e.data.includes(g)));
  return kept.map((e) => ({ id: e.id, event: e.event, data: JSON.parse(e.data) as unknown }));
}

const instanceGuids = (evidence: unknown): string[] => [...new Set(JSON.stringify(evidence).match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? [])];

/** The control side's actors of one LRP (its supervisor and instances), for the evidence. */
async function actorViews(where: Where, guid: string): Promise<unknown> {
  const answer = await http(where.url, 'GET', `/v1/actors/${where.control}/control/lrps/${guid}`).catch((error: Error) => ({ status: 0, json: error.message }));
  if (answer.status !== 200) return `GET /v1/actors/${where.control}/control/lrps/${guid}: ${answer.status}`;
  interface View { path: string; status: string; restarts: number; last_failure: unknown; mailbox: number; last_message_at: number | null; summary: unknown; children?: View[] }
  const view = ({ path, status, restarts, last_failure, mailbox, last_message_at, summary, children }: View): unknown => ({
    path, status, restarts, last_failure, mailbox, last_message_at, summary, children: (children ?? []).map(view),
  });
  return view(answer.json as View);
}

/** The instance guid of every RUNNING ORDINARY row of `guids`, by `guid/index`, with its cell. */
export function runningInstances(obs: Observation, guids: string[]): Map<string, { instance_guid: string; cell: string }> {
  const out = new Map<string, { instance_guid: string; cell: string }>();
  for (const r of obs.rows) {
    if (guids.includes(r.process_guid) && r.state === 'RUNNING' && r.presence === 'ORDINARY') out.set(slot(r.process_guid, r.index), { instance_guid: r.instance_guid, cell: r.cell_id });
  }
  return out;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}
