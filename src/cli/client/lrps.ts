/** `desire`, `lrps`, `lrp`, `scale`, `remove`: DesiredLRPs and their instances. */
import type { ActualLRP } from '../../models/actual-lrp.js';
import type { Action } from '../../models/actions.js';
import { CRASH_POLICY_FIELDS } from '../../models/crash-policy.js';
import type { DesiredLRP } from '../../models/desired-lrp.js';
import { printJson, readJsonInput, seg, type ClientContext } from './context.js';
import { age, brief, fields, table } from './table.js';

export async function desire(ctx: ClientContext, source: string): Promise<void> {
  const body = await readJsonInput(source);
  const stored = await ctx.client.post<DesiredLRP>('/v1/desired_lrps', body);
  if (ctx.json) return printJson(ctx, stored);
  ctx.out(`desired ${stored.process_guid} (${stored.instances} instance${stored.instances === 1 ? '' : 's'})\n`);
}

export async function listLrps(ctx: ClientContext, domain?: string): Promise<void> {
  const query = domain ? `?domain=${seg(domain)}` : '';
  const [desired, actual] = await Promise.all([
    ctx.client.get<DesiredLRP[]>(`/v1/desired_lrps${query}`),
    ctx.client.get<ActualLRP[]>(`/v1/actual_lrps${query}`),
  ]);
  if (ctx.json) return printJson(ctx, desired);
  ctx.out(renderLrps(desired, actual));
}

/** One row per DesiredLRP; RUNNING counts the indexes with a RUNNING instance (any presence). */
export function renderLrps(desired: readonly DesiredLRP[], actual: readonly ActualLRP[]): string {
  const running = new Map<string, Set<number>>();
  for (const a of actual) {
    if (a.state !== 'RUNNING') continue;
    const indexes = running.get(a.process_guid) ?? new Set<number>();
    running.set(a.process_guid, indexes.add(a.index));
  }
  const rows = [...desired].sort((a, b) => a.process_guid.localeCompare(b.process_guid));
  return table<DesiredLRP>([
    { header: 'process_guid', value: (d) => d.process_guid },
    { header: 'domain', value: (d) => d.domain },
    { header: 'instances', value: (d) => d.instances },
    { header: 'running', value: (d) => running.get(d.process_guid)?.size ?? 0 },
    { header: 'memory_mb', value: (d) => d.memory_mb ?? 0 },
  ], rows);
}

export async function showLrp(ctx: ClientContext, guid: string): Promise<void> {
  const [desired, actual] = await Promise.all([
    ctx.client.get<DesiredLRP>(`/v1/desired_lrps/${seg(guid)}`),
    ctx.client.get<ActualLRP[]>(`/v1/actual_lrps/${seg(guid)}`),
  ]);
  if (ctx.json) return printJson(ctx, { desired_lrp: desired, actual_lrps: actual });
  ctx.out(renderLrp(desired, actual, ctx.now()));
}

/** The DesiredLRP's summary, then a table of its instances (by index, ORDINARY first). */
export function renderLrp(desired: DesiredLRP, actual: readonly ActualLRP[], nowMs: number): string {
  const summary = fields([
    ['process_guid', desired.process_guid],
    ['domain', desired.domain],
    ['instances', desired.instances],
    ['rootfs', desired.rootfs],
    ['action', describeAction(desired.action)],
    ['memory_mb', desired.memory_mb],
    ['disk_mb', desired.disk_mb],
    ['ports', desired.ports?.length ? desired.ports.join(',') : undefined],
    ['routes', desired.routes && Object.keys(desired.routes).length ? brief(desired.routes) : undefined],
    ['annotation', desired.annotation || undefined],
    ['crash_policy', describeCrashPolicy(desired.crash_policy)],
  ]);
  const presenceOrder = (p: string) => (p === 'ORDINARY' ? 0 : 1);
  const rows = [...actual].sort((a, b) => a.index - b.index || presenceOrder(a.presence) - presenceOrder(b.presence));
  const instances = table<ActualLRP>([
    { header: 'index', value: (a) => (a.presence && a.presence !== 'ORDINARY' ? `${a.index} (${a.presence.toLowerCase()})` : a.index) },
    { header: 'state', value: (a) => a.state },
    { header: 'cell', value: (a) => a.cell_id },
    { header: 'address', value: (a) => addressOf(a) },
    { header: 'crashes', value: (a) => a.crash_count },
    { header: 'since', value: (a) => age(a.since, nowMs) },
    { header: 'placement_error', value: (a) => a.placement_error },
  ], rows);
  return `${summary}\n${rows.length ? instances : 'no instances\n'}`;
}

/** `max_restarts=3 backoff_ms=1000; the rest from the node's flags`, in the order the user gave them. */
export function describeCrashPolicy(policy: DesiredLRP['crash_policy']): string {
  const given = Object.entries(policy ?? {}).filter(([, value]) => value !== undefined && value !== null);
  if (given.length === 0) return "the node's flags";
  const all = given.length === Object.keys(CRASH_POLICY_FIELDS).length;
  return `${given.map(([key, value]) => `${key}=${value}`).join(' ')}${all ? '' : "; the rest from the node's flags"}`;
}

/** `10.0.0.5:61001->8080,61002->8081`; `-` when not placed. */
export function addressOf(a: Pick<ActualLRP, 'address' | 'ports'>): string {
  if (!a.address) return '-';
  const ports = (a.ports ?? []).map((p) => `${p.host_port}->${p.container_port}`);
  return ports.length ? `${a.address}:${ports.join(',')}` : a.address;
}

/** `run sh -c exec sleep 1000`, or the action's kind for composite ones. */
export function describeAction(action: Action | undefined): string {
  if (!action || typeof action !== 'object') return '-';
  const [kind, body] = Object.entries(action)[0] ?? ['-', undefined];
  if (kind === 'run' && body && typeof body === 'object') {
    const run = body as { path?: string; args?: string[] };
    return ['run', run.path ?? '', ...(run.args ?? [])].join(' ').trim();
  }
  return kind;
}

export async function scale(ctx: ClientContext, guid: string, instances: number): Promise<void> {
  const updated = await ctx.client.patch<DesiredLRP>(`/v1/desired_lrps/${seg(guid)}`, { instances });
  if (ctx.json) return printJson(ctx, updated);
  ctx.out(`scaled ${guid} to ${updated.instances} instance${updated.instances === 1 ? '' : 's'}\n`);
}

export async function remove(ctx: ClientContext, guid: string): Promise<void> {
  await ctx.client.delete(`/v1/desired_lrps/${seg(guid)}`);
  if (ctx.json) return printJson(ctx, { removed: guid });
  ctx.out(`removed ${guid}\n`);
}
