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

/**
 * A cluster member as `GET /v1/members` lists it (gateway/members.ts), as the answering node sees
 * it; times in ns since the epoch, like every time the API answers. A node started without a
 * cluster lists itself, with no remoting address.
 */
export interface MemberRow {
  name: string;
  roles: string[];
  address: string;
  status: string;
  last_heartbeat: number | null;
  incarnation?: number;
  up_since?: number | null;
  /** the node that answered: it does not heartbeat itself */
  self?: boolean;
}

export async function listMembers(ctx: ClientContext): Promise<void> {
  const members = await ctx.client.get<MemberRow[]>('/v1/members');
  if (ctx.json) return printJson(ctx, members);
  ctx.out(renderMembers(members, ctx.now()));
}

export function renderMembers(members: readonly MemberRow[], nowMs: number): string {
  return table<MemberRow>([
    { header: 'name', value: (m) => m.name },
    { header: 'roles', value: (m) => m.roles.join(',') },
    { header: 'address', value: (m) => m.address || '-' },
    { header: 'status', value: (m) => m.status },
    { header: 'last_heartbeat', value: (m) => (m.self ? 'self' : m.last_heartbeat ? `${age(m.last_heartbeat, nowMs)} ago` : '-') },
  ], members);
}
