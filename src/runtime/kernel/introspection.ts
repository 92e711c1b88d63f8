/**
 * One node's actors as the API shows them (docs/032): the supervision tree built from the
 * registry, one actor with the messages it accepts, and a message checked against the target's
 * declared protocol and delivered (sent, or asked and its reply awaited).
 *
 * Transport-neutral: every answer is an {@link Outcome}, plain data the gateway maps to HTTP, so
 * the same code answers for the gateway's own node and, through the `/cluster` actor
 * (../cluster/cluster-actor.ts), for any other node, which checks messages against its own
 * actors' protocols. Outcomes travel over remoting: an error is `{type, message}` with its code.
 */
import type { ActorTreeNode } from './registry.js';
import type { Ref } from './protocol.js';
import type { ActorSystem } from './system.js';
import { AskTimeoutError, AuctorError, type ErrorCode } from '../../base/errors.js';
import { msToNs } from '../../base/time.js';
import { ActorMessageChecker, replyToJson } from './actor-messages.js';

export const DEFAULT_ASK_TIMEOUT_MS = 5_000;
export const MAX_ASK_TIMEOUT_MS = 60_000;

/** One actor as the API shows it; times in ns since the epoch, like the models' `since`. */
export interface ActorView {
  path: string;
  name: string;
  kind: string;
  status: string;
  restarts: number;
  last_failure: { message: string; at: number } | null;
  mailbox: number;
  since: number;
  last_message_at: number | null;
  summary: unknown;
  persistence_key?: string;
  /** live children, whether listed below or cut off by `depth` */
  children_count: number;
  /**
   * set when it declared virtual children (docs/011 "Virtual actors"): how many, from their
   * index; the active ones are also among `children`, the passive ones are not
   */
  virtual_children?: { kind: string; total: number; active: number; passive: number };
  children: ActorView[];
}

/** A page of an actor's virtual children ({@link NodeIntrospection.virtualChildren}). */
export interface VirtualChildrenPage {
  kind: string;
  total: number;
  active: number;
  passive: number;
  children: Array<{ path: string; name: string; status: 'active' | 'passive' | 'quarantined'; summary: unknown }>;
  /** present when there may be more: pass it as `after` for the next page */
  next_after?: string;
}

/** One node's tree. `status` is set only for a node that could not answer (`GET /v1/actors`). */
export interface NodeView {
  node: string;
  path: string;
  actors: ActorView[];
  status?: 'unreachable';
  /** why it could not answer */
  reason?: string;
}

/** An actor with the messages it accepts from outside (`GET /v1/actors/<node>/<path>`). */
export interface ActorDetail extends ActorView {
  accepts: Array<{ type: string; description: string; reply: string; properties?: unknown; required?: readonly string[] }>;
}

/**
 * An error as plain data, so it crosses nodes: its stable code as `type` and its message; the
 * receiver rebuilds the error from the code. `InternalError` is a bug on the answering node.
 */
export interface ErrorData {
  type: ErrorCode | 'InternalError';
  message: string;
}

/** What a node answers about its actors: the value, or why not. Plain data (it travels). */
export type Outcome<V> = { ok: true; value: V } | { ok: false; error: ErrorData };

/** What became of a message delivered to an actor. */
export type Delivered =
  /** sent without waiting (`ask` false) */
  | { outcome: 'sent' }
  /** asked, and the actor replied (as JSON, replyToJson) */
  | { outcome: 'replied'; reply: unknown }
  /** asked, and no reply came within the timeout; `message` says so (the message was delivered) */
  | { outcome: 'unanswered'; message: string };

/** A message for an actor, as `POST /v1/actors/<node>/<path>/messages` received it. */
export interface Delivery {
  /** the actor's path inside the node (`/control/lrps`) */
  path: string;
  /** the JSON body, unchecked */
  message: unknown;
  ask: boolean;
  timeoutMs: number;
}

/** The failed outcome for `error`. */
export function failure(error: AuctorError): { ok: false; error: ErrorData } {
  return { ok: false, error: { type: error.code, message: error.message } };
}

/** `depth` absent or undefined = every level. */
function levels(depth: number | undefined): number {
  return depth === undefined ? Number.POSITIVE_INFINITY : depth;
}

export class NodeIntrospection {
  private readonly checker = new ActorMessageChecker();
  private readonly prefix: string;

  /** `node` is the first segment of every path shown; the system's name by default. */
  constructor(private readonly system: ActorSystem, readonly node: string = system.name) {
    this.prefix = `/${node}`;
  }

  /** The node and its top-level actors, `depth` levels deep (all when undefined). */
  tree(depth?: number): NodeView {
    return { node: this.node, path: this.prefix, actors: this.views(undefined, levels(depth)) };
  }

  /** The actor at `path` (inside this node) with its subtree and `accepts`, or ResourceNotFound. */
  actor(path: string, depth?: number): Outcome<ActorDetail> {
    const [view] = path === '' ? [] : this.views(path, levels(depth));
    if (!view) return failure(this.notFound(path));
    const protocol = this.system.registry.get(path)?.protocol;
    const accepts = Object.entries(protocol?.messages ?? {}).map(([type, m]) => ({ type, ...m }));
    return { ok: true, value: { ...view, accepts } };
  }

  /**
   * A page of the virtual children of the actor at `path` (docs/011 "Virtual actors"), in name
   * order after `after`, read from their index: passive ones are listed with status `passive`
   * and the summary of their last passivation, and none is activated. ResourceNotFound when the
   * actor declared none.
   */
  virtualChildren(path: string, options: { after?: string; limit?: number } = {}): Outcome<VirtualChildrenPage> {
    const children = this.system.virtualChildrenOf(path);
    if (!children) return failure(this.notFound(path));
    const limit = Math.min(Math.max(1, options.limit ?? 100), 1000);
    const page = children.list({ limit, ...(options.after === undefined ? {} : { after: options.after }) });
    return {
      ok: true,
      value: {
        ...children.counts(),
        children: page.map((c) => ({ path: this.prefix + c.path, name: c.name, status: c.status, summary: replyToJson(c.summary) })),
        ...(page.length === limit ? { next_after: page[page.length - 1]!.name } : {}),
      },
    };
  }

  /**
   * Checks the message against the target's protocol and delivers it: sent, or asked and
   * replied or unanswered within `timeoutMs`; an InvalidRequest naming the field at fault, or
   * ResourceNotFound for no such actor.
   */
  async deliver(delivery: Delivery): Promise<Outcome<Delivered>> {
    const { path, ask, timeoutMs } = delivery;
    const info = path === '' ? undefined : this.system.registry.get(path);
    const target = info && (this.system.lookup(path) as Ref<Record<string, unknown>> | undefined);
    if (!info || !target) return failure(this.notFound(path));
    let checked;
    try {
      checked = this.checker.check(this.prefix + path, info.kind, info.protocol, delivery.message, ask);
    } catch (error) {
      if (error instanceof AuctorError) return failure(error);
      throw error;
    }
    const { message, reply: replies } = checked;
    if (!ask) {
      if (!this.system.dispatch(target, message)) return failure(this.notFound(path));
      return { ok: true, value: { outcome: 'sent' } };
    }
    try {
      const answer = await this.system.query<Record<string, unknown>, unknown>(target, (replyTo) => (replies === 'none' ? message : { ...message, replyTo }), timeoutMs);
      return { ok: true, value: { outcome: 'replied', reply: replyToJson(answer) } };
    } catch (error) {
      if (error instanceof AskTimeoutError) {
        const hint = replies === 'none' ? ` (${String(message.type)} has no reply; it was delivered)` : '';
        return { ok: true, value: { outcome: 'unanswered', message: `no reply from ${this.prefix}${path} within ${timeoutMs}ms${hint}` } };
      }
      if (error instanceof AuctorError) return failure(error);
      throw error;
    }
  }

  private notFound(path: string): AuctorError {
    return new AuctorError('ResourceNotFound', `actor not found: ${this.prefix}${path}`);
  }

  /** The views under `path` (every top-level actor when omitted), `depth` levels deep. */
  private views(path: string | undefined, depth: number): ActorView[] {
    const prefix = this.prefix;
    const toView = (n: ActorTreeNode, level: number): ActorView => ({
      path: prefix + n.path,
      name: n.name,
      kind: n.kind,
      status: n.status,
      restarts: n.restarts,
      last_failure: n.lastFailure && { message: n.lastFailure.message, at: msToNs(n.lastFailure.at) },
      mailbox: n.mailbox,
      since: msToNs(n.since),
      last_message_at: n.lastMessageAt === null ? null : msToNs(n.lastMessageAt),
      summary: replyToJson(n.summary),
      ...(n.persistenceKey === undefined ? {} : { persistence_key: n.persistenceKey }),
      children_count: n.children.length,
      ...(n.virtual ? { virtual_children: n.virtual } : {}),
      children: level < depth ? n.children.map((c) => toView(c, level + 1)) : [],
    });
    // one level more than shown, so the last shown level still knows how many children it has
    return this.system.registry.tree(path, depth + 1).map((n) => toView(n, 1));
  }
}
