/** `tree` and `send`: the supervision tree of every node, and messages to any actor. */
import { invalid } from '../flags.js';
import type { ActorView, NodeView } from '../../gateway/actors.js';
import { parseJsonArg, printJson, seg, type ClientContext } from './context.js';

/** `GET /v1/actors`: every node's top-level actors. */
interface ActorsAnswer {
  nodes: NodeView[];
}

type Root = NodeView | ActorView;

/** `lrps (lrps) running restarts=1 mailbox=3 last failure: boom (+2 children)` */
function label(actor: ActorView, root: boolean): string {
  const parts = [root ? actor.path : actor.name, `(${actor.kind})`, actor.status, `restarts=${actor.restarts}`];
  if (actor.mailbox) parts.push(`mailbox=${actor.mailbox}`);
  if (actor.last_failure) parts.push(`last failure: ${actor.last_failure.message.replace(/\s*\n\s*/g, ' ')}`);
  // children that --depth cut off
  if (actor.children.length === 0 && actor.children_count > 0) parts.push(`(+${actor.children_count} children)`);
  return parts.join(' ');
}

/** Draws the tree like tree(1): a node by its path, a root actor by its full path, children by name; then a count of actors. */
export function renderTree(roots: readonly Root[]): string {
  const lines: string[] = [];
  let actors = 0;
  const walk = (actor: ActorView, prefix: string, last: boolean) => {
    actors++;
    lines.push(`${prefix}${last ? '└── ' : '├── '}${label(actor, false)}`);
    actor.children.forEach((child, i) => walk(child, `${prefix}${last ? '    ' : '│   '}`, i === actor.children.length - 1));
  };
  for (const root of roots) {
    const children = 'node' in root ? root.actors : root.children;
    if ('node' in root) lines.push(root.path);
    else (actors++, lines.push(label(root, true)));
    children.forEach((child, i) => walk(child, '', i === children.length - 1));
  }
  lines.push('', `${actors} actor${actors === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}

/** `/node/control/lrps` → `/node/control/lrps`, each segment escaped; a path must start with `/`. */
export function actorUrlPath(path: string, field = 'path'): string {
  if (!path.startsWith('/') || path === '/') throw invalid(`invalid field: ${field}: "${path}" is not an actor path like /<node>/control`);
  return path.replace(/\/+$/, '').split('/').map((s) => (s ? seg(s) : s)).join('/');
}

/**
 * `tree` (every node), `tree /<node>` (a NodeView) or `tree /<node>/<path>` (an ActorView).
 * `depth` counts levels below the root drawn, as tree(1)'s -L does: the API's depth counts the
 * actor itself, so an actor's tree asks for one more.
 */
export async function tree(ctx: ClientContext, path: string | undefined, depth: number | undefined): Promise<void> {
  if (depth !== undefined && depth < 1) throw invalid('invalid field: depth: must be at least 1');
  const actor = path !== undefined && path.split('/').filter((s) => s !== '').length > 1;
  const query = depth === undefined ? '' : `?depth=${actor ? depth + 1 : depth}`;
  if (path === undefined) {
    const body = await ctx.client.get<ActorsAnswer>(`/v1/actors${query}`);
    return ctx.json ? printJson(ctx, body) : ctx.out(renderTree(body.nodes));
  }
  const body = await ctx.client.get<Root>(`/v1/actors${actorUrlPath(path)}${query}`);
  if (ctx.json) return printJson(ctx, body);
  ctx.out(renderTree([body]));
}

/** `send PATH JSON [--ask]`: 202 (sent) or, asked, `{reply}` whose reply is printed. */
export async function send(ctx: ClientContext, path: string, message: string, options: { ask?: boolean; timeoutMs?: number }): Promise<void> {
  const body = parseJsonArg(message, 'the message');
  const query = new URLSearchParams();
  if (options.ask) query.set('ask', 'true');
  if (options.timeoutMs !== undefined) query.set('timeout_ms', String(options.timeoutMs));
  const text = query.toString();
  const url = `/v1/actors${actorUrlPath(path)}/messages${text ? `?${text}` : ''}`;
  if (!options.ask) {
    await ctx.client.post<void>(url, body);
    return ctx.json ? printJson(ctx, { sent: true }) : ctx.out(`sent to ${path}\n`);
  }
  const answer = await ctx.client.post<{ reply: unknown }>(url, body);
  printJson(ctx, answer.reply);
}
