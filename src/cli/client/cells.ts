/** `cells` and `members`: what the cluster is made of. */
import type { CellCapacity } from '../../models/cell-state.js';
import { printJson, type ClientContext } from './context.js';
import { age, table } from './table.js';

/** `GET /v1/cells`'s model (gateway/cells.ts): presence fields plus the cell's own figures, null when it did not answer. */
export interface CellRow {
  cell_id: string;
  zone: string;
  capacity: CellCapacity;
  available_resources: CellCapacity | null;
  lrp_count: number | null;
  task_count: number | null;
  evacuating?: boolean;
  reachable?: boolean;
}

export async function listCells(ctx: ClientContext): Promise<void> {
  const cells = await ctx.client.get<CellRow[]>('/v1/cells');
  if (ctx.json) return printJson(ctx, cells);
  ctx.out(renderCells(cells));
}

/** `available/total` per resource; `?` for what a cell that did not answer in time could not say. */
export function renderCells(cells: readonly CellRow[]): string {
  const ratio = (c: CellRow, key: keyof CellCapacity) => `${c.available_resources ? c.available_resources[key] : '?'}/${c.capacity[key]}`;
  return table<CellRow>([
    { header: 'cell_id', value: (c) => c.cell_id },
    { header: 'zone', value: (c) => c.zone },
    { header: 'memory_mb', value: (c) => ratio(c, 'memory_mb') },
    { header: 'disk_mb', value: (c) => ratio(c, 'disk_mb') },
    { header: 'containers', value: (c) => ratio(c, 'containers') },
    { header: 'lrps', value: (c) => c.lrp_count ?? '?' },
    { header: 'tasks', value: (c) => c.task_count ?? '?' },
    { header: 'state', value: (c) => (c.reachable === false ? 'unreachable' : c.evacuating ? 'evacuating' : 'ok') },
  ], cells);
}

/** A cluster member as `GET /v1/members` is expected to describe it (issue 6); unknown fields are ignored. */
export interface MemberRow {
  name: string;
  roles?: string[] | string;
  address?: string;
  status?: string;
  /** ms since the epoch, or an ISO date */
  last_heartbeat?: number | string | null;
}

export async function listMembers(ctx: ClientContext): Promise<void> {
  const body = await ctx.client.get<MemberRow[] | { members: MemberRow[] }>('/v1/members');
  if (ctx.json) return printJson(ctx, body);
  ctx.out(renderMembers(Array.isArray(body) ? body : (body?.members ?? []), ctx.now()));
}

export function renderMembers(members: readonly MemberRow[], nowMs: number): string {
  const heartbeat = (m: MemberRow) => {
    if (m.last_heartbeat === null || m.last_heartbeat === undefined) return '-';
    const ms = typeof m.last_heartbeat === 'number' ? m.last_heartbeat : Date.parse(m.last_heartbeat);
    return Number.isFinite(ms) ? `${age(ms * 1e6, nowMs)} ago` : String(m.last_heartbeat);
  };
  return table<MemberRow>([
    { header: 'name', value: (m) => m.name },
    { header: 'roles', value: (m) => (Array.isArray(m.roles) ? m.roles.join(',') : m.roles) },
    { header: 'address', value: (m) => m.address },
    { header: 'status', value: (m) => m.status },
    { header: 'last_heartbeat', value: heartbeat },
  ], members);
}
