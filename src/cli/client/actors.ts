/** `tree` and `send`: the supervision tree of every node, and messages to any actor. */
import { invalid } from '../flags.js';
import { parseJsonArg, printJson, seg, type ClientContext } from './context.js';

/**
 * One actor as the tree endpoints describe it (kernel/registry.ts `ActorTreeNode`). Every field
 * but `children` is optional so the renderer also draws the grouping nodes of a cluster answer.
 */
export interface TreeNode {
  path?: string;
  name?: string;
  kind?: string;
  status?: string;
  restarts?: number;
  lastFailure?: { message: string; at?: number } | null;
  mailbox?: number;
  children?: TreeNode[];
}

/** A node's actors, as `GET /v1/actors` groups them when it answers for the whole cluster. */
interface NodeGroup {
  node: string;
  actors: TreeNode[];
}

/**
 * The roots to draw from any of the answer shapes: one actor (`GET /v1/actors/<path>`), a list of
 * actors, or the cluster's `{nodes: [{node, actors}]}` (also as a bare list of groups).
 */
export function treeRoots(body: unknown): TreeNode[] {
  if (Array.isArray(body)) return body.flatMap((item) => treeRoots(item));
  if (!body || typeof body !== 'object') return [];
  const record = body as Record<string, unknown>;
  if (Array.isArray(record.nodes)) return treeRoots(record.nodes);
  if (typeof record.node === 'string' && Array.isArray(record.actors)) {
    const group = record as unknown as NodeGroup;
    return [{ name: `/${group.node.replace(/^\//, '')}`, children: group.actors.flatMap((a) => treeRoots(a)) }];
  }
  if (Array.isArray(record.actors)) return treeRoots(record.actors);
  return [record as TreeNode];
}

/** `lrps (lrps) running restarts=1 mailbox=3 last failure: boom` */
function label(node: TreeNode, root: boolean): string {
  const name = (root ? node.path : undefined) ?? node.name ?? node.path ?? '?';
  const parts = [name];
  if (node.kind) parts.push(`(${node.kind})`);
  if (node.status) parts.push(node.status);
  if (node.restarts !== undefined) parts.push(`restarts=${node.restarts}`);
  if (node.mailbox) parts.push(`mailbox=${node.mailbox}`);
  if (node.lastFailure?.message) parts.push(`last failure: ${node.lastFailure.message.replace(/\s*\n\s*/g, ' ')}`);
  return parts.join(' ');
}

/** Draws the tree like tree(1): roots by full path, children by name, then a count of actors. */
export function renderTree(roots: readonly TreeNode[]): string {
  const lines: string[] = [];
  let actors = 0;
  const walk = (node: TreeNode, prefix: string, last: boolean, root: boolean) => {
    if (node.kind !== undefined || node.status !== undefined) actors++;
    lines.push(root ? label(node, true) : `${prefix}${last ? '└── ' : '├── '}${label(node, false)}`);
    const children = node.children ?? [];
    const childPrefix = root ? '' : `${prefix}${last ? '    ' : '│   '}`;
    children.forEach((child, i) => walk(child, childPrefix, i === children.length - 1, false));
  };
  for (const root of roots) walk(root, '', true, true);
  lines.push('', `${actors} actor${actors === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}

/** `/node/control/lrps` → `/node/control/lrps`, each segment escaped; a path must start with `/`. */
export function actorUrlPath(path: string, field = 'path'): string {
  if (!path.startsWith('/') || path === '/') throw invalid(`invalid field: ${field}: "${path}" is not an actor path like /<node>/control`);
  return path.replace(/\/+$/, '').split('/').map((s) => (s ? seg(s) : s)).join('/');
}

export async function tree(ctx: ClientContext, path: string | undefined, depth: number | undefined): Promise<void> {
  const query = depth === undefined ? '' : `?depth=${depth}`;
  const url = path === undefined ? `/v1/actors${query}` : `/v1/actors${actorUrlPath(path)}${query}`;
  const body = await ctx.client.get<unknown>(url);
  if (ctx.json) return printJson(ctx, body);
  ctx.out(renderTree(treeRoots(body)));
}

export async function send(ctx: ClientContext, path: string, message: string, options: { ask?: boolean; timeoutMs?: number }): Promise<void> {
  const body = parseJsonArg(message, 'the message');
  const query = new URLSearchParams();
  if (options.ask) query.set('ask', 'true');
  if (options.timeoutMs !== undefined) query.set('timeout_ms', String(options.timeoutMs));
  const text = query.toString();
  const reply = await ctx.client.post<unknown>(`/v1/actors${actorUrlPath(path)}/messages${text ? `?${text}` : ''}`, body);
  if (ctx.json) return printJson(ctx, reply ?? { sent: true });
  ctx.out(options.ask ? `${JSON.stringify(reply ?? null, null, 2)}\n` : `sent to ${path}\n`);
}
