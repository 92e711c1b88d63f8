/**
 * The pieces of a chaos cycle the scenarios share: the bodies they desire, starting a node again
 * (the `node-starts` invariant), the `healthy-instance-kept` comparison, and the repair after a
 * failure so that the next cycle starts from a state the invariants hold in.
 */
import { readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { ClusterNodes } from '../../support/cluster-nodes.js';
import { http, type LogLine, type NodeProcess } from '../../support/gateway-node.js';
import { SseClient, type SseEvent } from '../../support/sse.js';
import type { ChaosRun } from './chaos-run.js';
import { observe, type Where } from './observe.js';
import type { WriteLoad } from './write-load.js';

/** How long the placement invariants may take to hold after a kill and restart. */
export const SETTLE_MS = Number(process.env.CHAOS_SETTLE_MS ?? 15_000);

/** Fast timings (as CLUSTER_FAST_FLAGS), and completed tasks kept for the whole run. */
export const CHAOS_FLAGS = [
  '--heartbeat-ms', '200', '--cell-ttl-ms', '1500', '--convergence-interval-ms', '1000',
  '--unhealthy-interval-ms', '50', '--healthy-interval-ms', '200', '--graceful-stop-ms', '500',
  '--crash-backoff-ms', '400', '--crash-backoff-max-ms', '800', '--task-retries', '1',
  '--completed-task-ttl-ms', '3600000',
];

/**
 * A DesiredLRP whose process prints a line a second (so the keeper's output offsets are saved
 * under the kill too) and carries its process guid in its environment (so /proc tells whose it is).
 */
export function chaosLrp(guid: string, instances: number, annotation = 'steady'): object {
  return {
    process_guid: guid, domain: 'chaos', rootfs: 'preloaded:host', instances, memory_mb: 32, disk_mb: 16, annotation,
    env: [{ name: 'CHAOS_PROCESS_GUID', value: guid }],
    action: { run: { path: '/bin/sh', args: ['-c', 'while :; do echo tick; sleep 1; done'], user: 'vcap' } },
  };
}

export function chaosTask(guid: string): object {
  return { task_guid: guid, domain: 'chaos', rootfs: 'preloaded:host', memory_mb: 8, disk_mb: 8, action: { run: { path: 'true', user: 'vcap' } } };
}

/**
 * Starts a node again after its kill -9. If it does not start (`node-starts`), the files under its
 * garden dir that do not parse are the evidence; they are moved aside (and the processes of a
 * container whose container.json it was are killed: nobody could adopt them) and the node is
 * started once more. A second failure ends the scenario.
 */
export async function startAgain(run: ChaosRun, dataDir: string, start: () => Promise<NodeProcess>): Promise<NodeProcess> {
  try {
    return await start();
  } catch (error) {
    const damaged = damagedJsonFiles(join(dataDir, 'garden'));
    const output = (error as Error).message;
    run.fail('node-starts', `the node did not start again: ${output.split('\n').find((l) => /error|Unexpected|fatal/i.test(l))?.slice(0, 300) ?? output.slice(0, 300)}`, {
      damaged_files: damaged, output_tail: output.slice(-1500),
    });
    for (const file of damaged) {
      renameSync(file.path, `${file.path}.damaged`);
      if (file.path.endsWith(`${sep}container.json`)) killProcessesWithHomeUnder(join(file.path, '..'));
    }
    return await start();
  }
}

/** JSON files under `dir` that do not parse, with their size and first bytes. */
export function damagedJsonFiles(dir: string): Array<{ path: string; size: number; head: string }> {
  const out: Array<{ path: string; size: number; head: string }> = [];
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = join(d, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.json')) {
        const text = readFileSync(path, 'utf8');
        try {
          JSON.parse(text);
        } catch {
          out.push({ path, size: statSync(path).size, head: text.slice(0, 80) });
        }
      }
    }
  };
  walk(dir);
  return out;
}

/**
 * `healthy-instance-kept`: every instance in `before` (RUNNING on a cell that stayed alive, of an
 * LRP nothing wrote to) still runs with the same instance guid.
 */
export function checkKept(run: ChaosRun, what: string, before: Map<string, { instance_guid: string; cell: string }>, after: Map<string, { instance_guid: string; cell: string }>, evidence: unknown): void {
  const changed = [...before].filter(([slot, b]) => after.get(slot)?.instance_guid !== b.instance_guid);
  if (changed.length === 0) return;
  run.fail('healthy-instance-kept', `${changed.length} healthy instance(s) restarted by ${what}: ${changed.map(([slot]) => slot).join(', ')}`, {
    changed: changed.map(([slot, b]) => ({ slot, before: b, after: after.get(slot) ?? null })), ...((evidence ?? {}) as object),
  });
}

/**
 * After a failure: deletes the LRPs concerned (`recreate` desires them again, for the steady
 * ones), waits until none of their rows or copies is left and kills the processes that outlive
 * that bound, so the next cycle is judged on its own.
 */
export async function repair(run: ChaosRun, where: Where, load: WriteLoad | undefined, guids: string[], recreate: Map<string, number> = new Map()): Promise<void> {
  for (const guid of guids) {
    await http(where.url, 'DELETE', `/v1/desired_lrps/${guid}`);
    load?.forget(guid);
  }
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const obs = await observe(where);
    const left = obs.copies.filter((c) => guids.includes(c.process_guid));
    if (left.length === 0 && !obs.rows.some((r) => guids.includes(r.process_guid))) break;
    if (Date.now() > deadline) {
      console.log(`      repair: killing ${left.length} process(es) still running for ${guids.join(', ')}; rows left: ${JSON.stringify(obs.rows.filter((r) => guids.includes(r.process_guid)).map((r) => [r.process_guid, r.index, r.state]))}`);
      run.count('repair_kills', left.length);
      for (const c of left) if (c.pid) killQuietly(c.pid);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const [guid, instances] of recreate) await http(where.url, 'POST', '/v1/desired_lrps', chaosLrp(guid, instances));
}

/** Every node's log lines (of each node's current process), for the evidence. */
export function nodeLogs(cluster: ClusterNodes): Array<{ node: string; lines: LogLine[] }> {
  return [{ node: 'control', lines: cluster.control.logs }, ...[...cluster.cells].map(([node, n]) => ({ node, lines: n.logs }))];
}

/** The control node's log lines about cells and instances, for the evidence. */
export function controlLog(cluster: ClusterNodes): unknown[] {
  return cluster.control.logs.filter((l) => /^(cell\.|actual-lrp\.|lrps\.)/.test(l.msg)).slice(-40);
}

/**
 * The control node's event stream (`GET /v1/events`), kept for the evidence of the current cycle:
 * what the killed run published, then what the restarted one does.
 */
export class EventTap {
  private client: SseClient | undefined;
  private previous: SseEvent[] = [];

  /** Subscribes to a (re)started control node; the events of the run before are kept. */
  async open(url: string): Promise<void> {
    this.previous = [...this.previous, ...(this.client?.events ?? [])];
    await this.client?.close();
    this.client = await SseClient.open(`${url}/v1/events`);
  }

  /** Forgets the events of the cycles before. */
  newCycle(): void {
    this.previous = [];
    this.client?.events.splice(0);
  }

  events(): SseEvent[] {
    return [...this.previous, ...(this.client?.events ?? [])];
  }

  async close(): Promise<void> {
    await this.client?.close();
  }
}

function killProcessesWithHomeUnder(dir: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').includes(`HOME=${dir}${sep}`)) killQuietly(Number(entry));
    } catch {
      // gone, or not ours
    }
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}
