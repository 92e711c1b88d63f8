/**
 * Typed references and protocol helpers. A protocol is a discriminated union of messages with
 * namespaced `type` tags and the reply address inside the message (like Akka's `replyTo`).
 */
declare const protocol: unique symbol;

/**
 * An address on this node: an actor, the system (the root), a pending ask (`temp`), or no one.
 * Plain data, resolved by path (or id) on every use; nact's references have this shape, and
 * nothing outside the kernel needs more of them.
 */
export interface LocalRef {
  readonly path: { readonly parts: readonly string[] };
  readonly name?: string;
  /** the node's name; undefined only for `nobody` */
  readonly system: { readonly name: string | undefined };
  readonly type: 'actor' | 'temp' | 'system' | 'nobody';
  /** a pending ask's number */
  readonly id?: number;
}

/**
 * An actor on another node of the cluster, or a reserved address on one (a remote query's reply
 * slot). Plain data: remoting resolves it through the node directory on every send, so it stays
 * valid across reconnects; `incarnation`, when set, pins it to one life of that node.
 */
export class RemoteActorRef {
  readonly type = 'remote' as const;
  #parts: { readonly parts: readonly string[] } | undefined;

  constructor(
    readonly node: string,
    /** the path inside that node's tree, `/control/lrps` */
    readonly at: string,
    readonly incarnation?: number,
  ) {}

  /** the node name, as nact refs carry their system's name */
  get system(): { readonly name: string } {
    return { name: this.node };
  }

  /** `at` split as nact splits paths; made when first asked (remoting itself never asks) */
  get path(): { readonly parts: readonly string[] } {
    return (this.#parts ??= { parts: this.at.split('/').filter(Boolean) });
  }
}

/** What the kernel accepts as an address: a local one, or a remote one. */
export type KernelRef = LocalRef | RemoteActorRef;

/**
 * An address that accepts messages of type `M`. At run time it is a {@link LocalRef} (nact's
 * reference object) or a {@link RemoteActorRef}; the type parameter only exists for the compiler.
 */
export type Ref<M> = KernelRef & { readonly [protocol]?: (msg: M) => void };

/**
 * A reference whose protocol the holder does not know (parents, children, lookups). Every
 * Ref<M> is one; sending to it needs a cast to the protocol it accepts.
 */
export type AnyRef = Ref<never>;

/** The reply address a query hands to its message factory. */
export type ReplyTo<R> = Ref<R>;

/** Ends every switch over a protocol, so a new message type is a compile error until handled. */
export function assertNever(value: never, what = 'message'): never {
  const tag = (value as { type?: unknown } | null)?.type;
  throw new Error(`unexpected ${what}: ${tag === undefined ? JSON.stringify(value) : String(tag)}`);
}

/** The path of a reference inside its node's tree, as the registry and the gateway show it: `/control/lrps/web`. */
export function refPath(ref: KernelRef): string {
  return ref.type === 'remote' ? ref.at : '/' + ref.path.parts.join('/');
}

/** The node a reference lives on (its actor system's name); undefined only for `nobody`. */
export function refNode(ref: KernelRef): string | undefined {
  return ref.system.name;
}

/** A reference to the actor at `path` (`/control/lrps`) on `node`, optionally pinned to one incarnation. */
export function remoteRef<M>(node: string, path: string, incarnation?: number): Ref<M> {
  return new RemoteActorRef(node, path.startsWith('/') ? path : '/' + path, incarnation) as Ref<M>;
}

/** True for a reference that names another node (or a reserved address) and travels through remoting. */
export function isRemoteRef(ref: KernelRef): ref is RemoteActorRef {
  return ref.type === 'remote';
}
