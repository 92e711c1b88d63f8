/**
 * Remote refs in the actor kernel: `attachRemoting` makes `system.dispatch` and `system.query`
 * carry messages for {@link RemoteActorRef}s over a {@link Remoting} endpoint, and delivers what
 * arrives to local actors.
 *
 * Outbound: the node directory gives the target node's address and incarnation on every send;
 * an unknown node, a stale incarnation, a node known down, a message that cannot be encoded or
 * a transport that refuses the envelope makes a dead letter (counted in the registry, logged),
 * never a throw. Inbound, every envelope is checked before any actor sees it: the body must
 * decode, its `type` must equal the envelope's, and a message for an actor must be a tagged
 * object; a failing envelope is dropped, counted and logged (`remoting.malformed-envelope`).
 * What passes is handed to the kernel by path (`system.deliver`), which counts a message for no
 * live actor as a dead letter; an ask waiting on it fails at once (remote-ask-failure.ts).
 * See docs/051-remote-refs.md.
 */
import { RemoteActorRef, type AnyRef, type Ref } from '../kernel/protocol.js';
import { describeError } from '../kernel/registry.js';
import type { ActorSystem, RemoteRouter } from '../kernel/system.js';
import { ActorNotFoundError } from '../../base/errors.js';
import { actorNotFound, askError, isAskFailure, remoteReplyTo } from './remote-ask-failure.js';
import { CodecError, decodeBody, encodeBody, encodedShape, REPLY_PREFIX, tagOf, TEMP_PREFIX, UNTAGGED, type CodecContext } from './remote-codec.js';
import type { NodeDirectory } from './remote-directory.js';
import { PendingQueries, RemoteUnavailableError } from './remote-queries.js';
import { DeathWatch, type NodeDown } from './remote-watch.js';
import type { Envelope, NodeIdentity, Remoting, SendOptions } from './types.js';

const PRIORITY: SendOptions = { priority: true };

export type { NodeDown } from './remote-watch.js';

/** What a watcher actor receives, once, when the node of an actor it watches goes down. */
export interface WatchedNodeDown {
  type: 'remote/node-down';
  /** the watched actor */
  ref: AnyRef;
  node: string;
  incarnation: number;
  reason: string;
}

export interface RemoteStats {
  /** envelopes handed to the transport */
  sent: number;
  /** envelopes that arrived */
  received: number;
  /** arrived envelopes dropped by the checks */
  malformed: number;
  /** messages this layer could not deliver (also counted in the registry's dead letters) */
  deadLetters: number;
  pendingQueries: number;
}

/** The remoting side of one node's actor system; made by {@link attachRemoting}. */
export class RemoteNode {
  private readonly queries: PendingQueries;
  private readonly deathWatch: DeathWatch;
  private readonly codec: CodecContext;
  private readonly counts = { sent: 0, received: 0, malformed: 0, deadLetters: 0 };
  private readonly disposers: Array<() => void> = [];
  private detached = false;

  constructor(
    private readonly system: ActorSystem,
    private readonly remoting: Remoting,
    private readonly directory: NodeDirectory,
  ) {
    if (remoting.self.name !== system.name) throw new Error(`remoting is for node "${remoting.self.name}", the actor system is "${system.name}"`);
    this.queries = new PendingQueries(system.clock);
    this.deathWatch = new DeathWatch(system.log);
    this.codec = { node: this.self.name, incarnation: this.self.incarnation, root: system.root, lookup: (path) => system.lookup(path) };
    const router: RemoteRouter = {
      dispatch: (ref, msg, options) => this.send(ref, msg, options?.priority === true) === undefined,
      query: (ref, make, timeoutMs) => this.query(ref, make, timeoutMs),
    };
    this.disposers.push(system.routeRemote(router), remoting.onEnvelope((envelope, from) => this.receive(envelope, from)));
  }

  get self(): NodeIdentity {
    return this.remoting.self;
  }

  /**
   * Calls `onDown` once when `node` goes down: the incarnation given, else the one current now
   * (or whichever goes down next if the directory does not know the node). Returns a cancel.
   */
  watchNode(node: string, onDown: (down: NodeDown) => void, incarnation?: number): () => void {
    return this.deathWatch.watch(node, incarnation ?? this.directory.incarnation(node), onDown);
  }

  /**
   * Tells `watcher` once, with a {@link WatchedNodeDown} message, when the node of `ref` goes down.
   * A ref on this node is not watched (local death-watch is the supervision tree's business).
   */
  watch(ref: AnyRef, watcher: Ref<WatchedNodeDown>): () => void {
    if (ref.type !== 'remote' || ref.node === this.self.name) return () => {};
    return this.watchNode(
      ref.node,
      (down) => this.system.dispatch(watcher, { type: 'remote/node-down', ref, node: down.node, incarnation: down.incarnation, reason: down.reason }),
      ref.incarnation,
    );
  }

  /**
   * Membership's news that `incarnation` of `node` is down: its watchers are told once, queries
   * waiting on it fail now with RemoteUnavailableError, and later sends to it are dead letters.
   */
  nodeDown(node: string, incarnation: number, reason = 'node down'): void {
    if (node === this.self.name) return;
    const told = this.deathWatch.nodeDown({ node, incarnation, reason });
    const failed = this.queries.failNode(node, incarnation, () => new RemoteUnavailableError(`/${node}`, `node ${node} (incarnation ${incarnation}) is down: ${reason}`));
    this.system.log.info({ node, incarnation, reason, watchersTold: told, queriesFailed: failed }, 'remoting.node-down');
  }

  /**
   * Membership's news that `incarnation` of `node` is up again after it was down (a link healed
   * before the node restarted): sends to it flow again. Watchers told of the down stay told.
   */
  nodeUp(node: string, incarnation: number): void {
    this.deathWatch.nodeUp(node, incarnation);
  }

  stats(): RemoteStats {
    return { ...this.counts, pendingQueries: this.queries.size };
  }

  /** Stops routing and receiving; waiting queries fail, watches are dropped. Idempotent. */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    for (const dispose of this.disposers.splice(0)) dispose();
    this.queries.failAll(() => new RemoteUnavailableError(`/${this.self.name}`, 'remoting detached'));
    this.deathWatch.clear();
  }

  private query<R>(ref: RemoteActorRef, make: (replyTo: AnyRef) => unknown, timeoutMs: number): Promise<R> {
    const target = `/${ref.node}${ref.at}`;
    if (ref.node === this.self.name) {
      const local = ref.incarnation === undefined || ref.incarnation === this.self.incarnation ? this.system.lookup(ref.at) : undefined;
      if (local) return this.system.query<never, R>(local, make as (replyTo: Ref<R>) => never, timeoutMs);
      this.deadLetter(ref.node, ref.at, undefined, 'no-such-actor');
      return Promise.reject(new ActorNotFoundError(target));
    }
    const correlation = this.queries.next();
    let msg: unknown;
    try {
      msg = make(new RemoteActorRef(this.self.name, REPLY_PREFIX + correlation, this.self.incarnation) as AnyRef);
    } catch (error) {
      return Promise.reject(error);
    }
    const reply = this.queries.open<R>(correlation, ref.node, ref.incarnation ?? this.directory.incarnation(ref.node), target, timeoutMs);
    const failure = this.send(ref, msg);
    if (failure) this.queries.fail(correlation, new RemoteUnavailableError(target, failure));
    return reply;
  }

  /** Sends `msg` to `ref` (in the priority lane when `priority`); undefined when handed on, else why not (already a counted dead letter). */
  private send(ref: RemoteActorRef, msg: unknown, priority = false): string | undefined {
    const type = tagOf(msg);
    let failure: string | undefined;
    if (ref.node === this.self.name) {
      if (ref.incarnation !== undefined && ref.incarnation !== this.self.incarnation) failure = 'stale-incarnation';
      else return this.deliver(ref.at, msg, this.self.name) ? undefined : 'not delivered';
    } else if (this.detached) {
      failure = 'remoting detached';
    } else {
      const address = this.directory.address(ref.node);
      const current = this.directory.incarnation(ref.node);
      if (address === undefined) failure = `node ${ref.node} is not a member`;
      else if (ref.incarnation !== undefined && current !== ref.incarnation) failure = `node ${ref.node} incarnation ${ref.incarnation} is gone`;
      else if (this.deathWatch.isDown(ref.node, current)) failure = `node ${ref.node} is down`;
      else {
        let body: Uint8Array | undefined;
        try {
          body = encodeBody(msg, this.codec, type !== '');
        } catch (error) {
          failure = `message cannot be encoded: ${describeError(error)}`;
        }
        if (body) {
          const shape = encodedShape();
          try {
            const envelope: Envelope = shape === undefined ? { to: ref.at, type: type === '' ? UNTAGGED : type, body } : { to: ref.at, type, body, shape };
            if (this.remoting.sendTo(address, envelope, priority ? PRIORITY : undefined)) {
              this.counts.sent++;
              return undefined;
            }
            failure = 'dropped by the transport';
          } catch (error) {
            // the transport refuses what it cannot carry; a send never throws at the sender
            failure = `refused by the transport: ${describeError(error)}`;
          }
        }
      }
    }
    failure ??= 'not sent';
    this.deadLetter(ref.node, ref.at, type, failure);
    return failure;
  }

  /** The transport's handler: total, so nothing that arrives can throw into the transport. */
  private receive(envelope: Envelope, from: NodeIdentity): void {
    this.counts.received++;
    try {
      const { to, type, body, shape } = (envelope ?? {}) as Partial<Envelope>;
      if (typeof to !== 'string' || !to.startsWith('/') || typeof type !== 'string' || !(body instanceof Uint8Array)) {
        return this.malformed(envelope, from, 'envelope is not {to, type, body}');
      }
      let msg: unknown;
      try {
        if (shape !== undefined && !Array.isArray(shape)) return this.malformed(envelope, from, 'envelope shape is not a list of keys');
        msg = decodeBody(body, this.codec, type === UNTAGGED ? undefined : type, shape);
      } catch (error) {
        return this.malformed(envelope, from, error instanceof CodecError ? error.message : `undecodable body: ${describeError(error)}`);
      }
      const tag = tagOf(msg);
      if (tag !== (type === UNTAGGED ? '' : type)) return this.malformed(envelope, from, `body type "${tag}" is not the envelope's "${type}"`);
      if (tag === '' && !to.startsWith('/~')) return this.malformed(envelope, from, 'an actor message must be an object with a string type');
      this.deliver(to, msg, from.name);
    } catch (error) {
      this.system.log.error({ from: from?.name, error: describeError(error) }, 'remoting.receive-failed');
    }
  }

  /**
   * Hands `msg` to the local address `path`: an actor (through the kernel), a remote query's
   * reply slot, or a local query's temporary reference. A reply slot or a temporary reference
   * that receives an ask failure (remote-ask-failure.ts) fails its query with the error rebuilt from its code.
   */
  private deliver(path: string, msg: unknown, from: string): boolean {
    if (path.charCodeAt(1) !== 0x7e /* ~ */) {
      if (this.system.deliver(path, msg, from) === 'delivered') return true;
      // the kernel counted and logged it (`actor.dead-letter`); an ask waiting on it fails now
      this.counts.deadLetters++;
      const replyTo = remoteReplyTo(msg);
      if (replyTo !== undefined) this.send(replyTo, actorNotFound(`/${this.self.name}${path}`));
      return false;
    }
    if (path.startsWith(REPLY_PREFIX)) {
      const correlation = Number(path.slice(REPLY_PREFIX.length));
      if (isAskFailure(msg) ? this.queries.fail(correlation, askError(msg)) : this.queries.settle(correlation, msg)) return true;
      this.deadLetter(this.self.name, path, tagOf(msg), 'no query waits for this reply', from);
      return false;
    }
    if (path.startsWith(TEMP_PREFIX)) {
      const temp = this.system.resolveTemporary(Number(path.slice(TEMP_PREFIX.length)));
      if (temp !== undefined) return isAskFailure(msg) ? this.system.fail(temp, askError(msg)) : this.system.dispatch(temp, msg as never);
      this.deadLetter(this.self.name, path, tagOf(msg), 'no query waits for this reply', from);
      return false;
    }
    this.deadLetter(this.self.name, path, tagOf(msg), 'no such address', from);
    return false;
  }

  private deadLetter(node: string, to: string, type: string | undefined, reason: string, from?: string): void {
    this.counts.deadLetters++;
    this.system.deadLetter({ node, to, type, reason, from }, 'remoting.dead-letter');
  }

  private malformed(envelope: unknown, from: NodeIdentity, reason: string): void {
    this.counts.malformed++;
    const { to, type } = (envelope ?? {}) as Partial<Envelope>;
    this.system.log.warn({ from: from?.name, to: String(to).slice(0, 200), type: String(type).slice(0, 100), reason }, 'remoting.malformed-envelope');
  }
}

/**
 * Joins `system` to the cluster through `remoting`: refs naming other nodes (see `remoteRef`)
 * now work with `dispatch` and `query`, and envelopes that arrive reach local actors. The owner
 * calls `detach()` before closing the transport or shutting the system down.
 */
export function attachRemoting(system: ActorSystem, remoting: Remoting, directory: NodeDirectory): RemoteNode {
  return new RemoteNode(system, remoting, directory);
}
