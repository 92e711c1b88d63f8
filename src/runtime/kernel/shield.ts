/**
 * Runtime patches that shield a Node 20 process from nact 7.6.2's hazards (ACTORS.md section 0,
 * item 4). Installed once, on first import of the kernel; nact's files on disk stay untouched.
 *
 * Why patch at run time rather than with patch-package: the fixes are small and live with their
 * reasons beside them (here, and in children-view.ts and turns.ts for (h) and (j)), `npm install`
 * needs no extra step, and the hazard tests can run the same program on bare nact (without this
 * module) to prove each hazard is real.
 *
 * | hazard (ACTORS.md 0.4)                                   | fix here                                   |
 * |----------------------------------------------------------|--------------------------------------------|
 * | (a) a throwing onCrash: unhandled rejection, process dies | handleFault is total: a failing policy escalates, anything else stops the actor |
 * | (a) escalate from an actor stopped mid-handler            | a fault of a stopped actor is logged and dropped |
 * | (b) 32-bit query temp-ref ids collide, replies are lost   | the system plugin numbers temp refs with a counter |
 * | (c) getSafeTimeout wraps timeouts >= 2^31 ms negative     | clamp before truncating                    |
 * | (e) spawnStateless overwrites onCrash                     | the kernel's spawnStateless keeps it (system.ts) |
 * | (f) escalate then parent `resume` leaves the child stuck  | resume on an escalated fault resumes the child |
 * | (g) stopping an actor or the system never stops its children (found here, not in ACTORS.md) | stop children first, then the actor |
 * | (h) every message copies the actor's children into a new Map (O(children) per message: 40k LRP supervisors under `lrps` made each report cost ~1 ms) | a ChildrenView (children-view.ts): O(1) to make, exact for its message |
 * | (i) an idle actor keeps its last message alive (through the Immediate that ran it) | processNext drops the Immediate |
 * | (j) one turn of the event loop per message caps one actor near 0.85 M msgs/s | up to 64 queued messages per turn (turns.ts) |
 * | (k) every dispatch without a sender allocates a new `Nobody` (four objects), so a reused context never matched | one shared Nobody |
 * | (l) a replay failure restarted by policy prints "Resetting during recovery is not a recommended supervision policy" to the console, each time | the same decisions without the console line (the kernel logs `actor.crashed`) |
 *
 * (g): Actor.stop and ActorSystem.stop hand actor *objects* to the `stop` function, which only
 * resolves references (it switches on `ref.type`, which an actor object lacks), so children are
 * detached but keep running, and their afterStop never runs.
 */
import { installChildrenView } from './children-view.js';
import { checkNact, NactIncompatibleError } from './nact-compat.js';
import { ActorClass, findActor, NactNobody, nactModules, supervisionActions, type NactActor, type NactRef, type NactSystem } from './nact-internals.js';
import { refPath } from './protocol.js';
import { handleMessageInTurns } from './turns.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

/** Receives what the shield contains instead of letting it kill the process. */
export type ShieldReporter = (event: string, fields: Record<string, unknown>) => void;

const reporters = new Map<string | undefined, ShieldReporter>();
let installed = false;
let persistentPatched = false;

/** Where the shield reports for the actor system named `systemName`; stderr otherwise. */
export function setShieldReporter(systemName: string, report: ShieldReporter | undefined): void {
  if (report) reporters.set(systemName, report);
  else reporters.delete(systemName);
}

function report(ref: NactRef, event: string, fields: Record<string, unknown>): void {
  const to = reporters.get(ref.system.name);
  if (to) return to(event, { path: refPath(ref), ...fields });
  const error = fields.error instanceof Error ? fields.error.stack : String(fields.error);
  process.stderr.write(`${event} ${refPath(ref)}: ${error}\n`);
}

/**
 * Applies every patch, once per process. First checks that nact is what they were written for
 * (nact-compat.ts) and throws {@link NactIncompatibleError}, with nothing patched, when it is not.
 */
export function installShield(): void {
  if (installed) return;
  const refusal = checkNact(nactModules());
  if (refusal !== undefined) throw new NactIncompatibleError(refusal);
  installed = true;
  ActorClass.getSafeTimeout = safeTimeout;
  ActorClass.prototype.handleFault = handleFaultTotally;
  // (k) nact's dispatch made a new Nobody (four objects) for every message without a sender
  const nobody = new NactNobody();
  ActorClass.prototype.dispatch = function (this: NactActor & DispatchInternals, message: unknown, sender: unknown = nobody) {
    this.assertNotStopped();
    if (this.timeout !== undefined) this.clearTimeout();
    if (!this.busy) this.handleMessage(message, sender);
    else this.mailbox.push({ message, sender });
  };
  (ActorClass.prototype as unknown as { handleMessage: typeof handleMessageInTurns }).handleMessage = handleMessageInTurns;
  const stop = ActorClass.prototype.stop;
  ActorClass.prototype.stop = function (this: NactActor) {
    stopChildren(this);
    stop.call(this);
  };
  // (i) nact keeps the last message's Immediate on the actor, and through its closure the message
  // itself: every idle actor retained its last message (100k ActualLRPs: their last report each)
  const processNext = ActorClass.prototype.processNext;
  ActorClass.prototype.processNext = function (this: NactActor & { immediate?: unknown }) {
    this.immediate = undefined;
    processNext.call(this);
  };
  // (h) a message's context gets a view of the children instead of a copy (children-view.ts)
  installChildrenView();
}

/** What nact's Actor.dispatch uses, for the (k) patch. */
interface DispatchInternals {
  timeout: unknown;
  mailbox: { push(entry: { message: unknown; sender: unknown }): void };
  assertNotStopped(): void;
  clearTimeout(): void;
  handleMessage(message: unknown, sender: unknown): void;
}

function stopChildren(parent: { children: Map<string, NactActor> }): void {
  for (const child of [...parent.children.values()]) if (!child.stopped) child.stop();
}

/** Clamp to what setTimeout accepts, then truncate: nact truncated first and wrapped negative. */
export function safeTimeout(ms: number): number {
  const n = Number(ms);
  if (!Number.isFinite(n)) return n > 0 ? MAX_TIMER_MS : 0;
  return Math.trunc(Math.min(MAX_TIMER_MS, Math.max(0, n)));
}

/**
 * The system plugin: unique query temp-ref ids (nact draws 32-bit random ones, and a collision
 * hands one query's reply to another), and top-level escalations reported instead of printed.
 */
export function shieldSystem(system: NactSystem): void {
  const stop = system.stop.bind(system);
  system.stop = () => {
    stopChildren(system);
    stop();
  };
  let nextTempId = 1;
  const add = system.addTempReference.bind(system);
  system.addTempReference = (ref, deferral) => {
    // nact calls this right after building the temp ref and before the message factory sees it,
    // so the id given here is the one every later lookup uses.
    ref.id = nextTempId++;
    add(ref, deferral);
  };
  system.handleFault = (msg, _sender, error, child) => {
    const actor = isActorObject(child) ? child : findActor(child);
    report(actor?.reference ?? system.reference, 'actor.top-level-failure', { error, msg });
    if (actor && !actor.stopped) actor.stop();
  };
}

/**
 * Patches what only nact's unexported PersistentActor class has, given one of its instances.
 * Marks replay so the registry can tell `recovering` from `running`, and makes a restart wait
 * for the actor's eager writes still in flight ({@link trackWrite}).
 */
export function shieldPersistentActorClass(instance: NactActor): void {
  if (persistentPatched) return;
  persistentPatched = true;
  const proto = Object.getPrototypeOf(instance) as { recover(this: NactActor): Promise<void>; createContext(this: PersistentContextCache, sender: unknown): object };
  // nact spread the Actor's context into a new object with a newly bound `persist` for every
  // message; this one serves again while the Actor's context does (children-view.ts)
  proto.createContext = function (this: PersistentContextCache, sender: unknown) {
    const base = (ActorClass.prototype as unknown as { createContext(this: NactActor, sender: unknown): object }).createContext.call(this, sender);
    const last = this.auctorPersistentContext;
    if (last !== undefined && last.base === base) return last.ctx;
    const ctx = { ...base, persist: (this.auctorPersist ??= this.persist.bind(this)) };
    this.auctorPersistentContext = { base, ctx };
    return ctx;
  };
  (proto as unknown as { handleFaultedRecovery: typeof recoveryFault }).handleFaultedRecovery = recoveryFault;
  const recover = proto.recover;
  proto.recover = async function (this: NactActor) {
    this.auctorRecovering = true;
    try {
      // a restart replays only what is durable: let the eager writes in flight land (or fail) first
      if (this.auctorWrites?.size) await Promise.allSettled([...this.auctorWrites]);
      await recover.call(this);
    } finally {
      this.auctorRecovering = false;
    }
  };
}

/**
 * (l) nact's PersistentActor.handleFaultedRecovery: the policy's decision about an event that
 * failed to replay; true to skip the event and go on. The same as nact's, without its console lines.
 */
async function recoveryFault(this: NactActor, msg: unknown, sender: unknown, error: unknown): Promise<boolean> {
  const ctx = this.createSupervisionContext(msg, sender, error);
  const decision = await this.onCrash(msg, error, ctx);
  const siblings = () => [...((this.parent as NactActor | undefined)?.children.values() ?? [])];
  switch (decision) {
    case supervisionActions.resume:
      return true;
    case supervisionActions.stop:
      this.stop();
      return false;
    case supervisionActions.stopAll:
      siblings().forEach((a) => a.stop());
      return false;
    case supervisionActions.reset:
      this.reset();
      return false;
    case supervisionActions.resetAll:
      siblings().forEach((a) => a.reset());
      return false;
    default:
      if (this.parent) void this.parent.handleFault(msg, sender, error, this);
      else report(this.reference, 'actor.fault-after-stop', { error });
      return false;
  }
}

/** What the persistent-context patch keeps on a PersistentActor. */
interface PersistentContextCache extends NactActor {
  persist(event: unknown, tags?: string[]): Promise<void>;
  auctorPersist?: (event: unknown, tags?: string[]) => Promise<void>;
  auctorPersistentContext?: { base: object; ctx: object };
}

/**
 * For a persistent actor whose key has never been written: its first start skips reading the
 * journal (an empty snapshot read and an empty event range per actor); a restart replays it.
 * `from`: the state and sequence number of the events its spawner is journaling for it.
 */
export function skipFirstRecovery(actor: NactActor, from?: { state: unknown; sequenceNumber: number }): void {
  const fresh = actor as NactActor & { recover?: () => void; clearTimeout(): void };
  fresh.recover = function (this: typeof fresh) {
    delete this.recover;
    this.clearTimeout();
    if (from) this.state = from.state;
    this.sequenceNumber = from?.sequenceNumber ?? 0;
    this.messagesToNextSnapshot = this.snapshotEvery;
    this.processNext();
  };
}

/**
 * Remembers an eager write of `actor` until it settles, so a restart waits for it. Returns the
 * write, already marked handled (its failure reaches the actor through the kernel, not as an
 * unhandled rejection).
 */
export function trackWrite(actor: NactActor | undefined, write: Promise<void>): Promise<void> {
  write.catch(() => undefined);
  if (!actor) return write;
  const writes = (actor.auctorWrites ??= new Set());
  writes.add(write);
  const forget = () => writes.delete(write);
  write.then(forget, forget);
  return write;
}

function isActorObject(x: NactRef | NactActor): x is NactActor {
  return typeof (x as NactActor).handleFault === 'function';
}

/** nact's handleFault, rewritten so that it never rejects (it is called without await). */
async function handleFaultTotally(
  this: NactActor,
  msg: unknown,
  sender: unknown,
  error: unknown,
  child?: NactRef | NactActor,
): Promise<void> {
  try {
    if (this.stopped) {
      report(this.reference, 'actor.fault-after-stop', { error });
      return;
    }
    const ctx = this.createSupervisionContext(msg, sender, error);
    const childRef = child && (isActorObject(child) ? child.reference : child);
    let decision: unknown;
    try {
      decision = await this.onCrash(msg, error, ctx, childRef);
    } catch (policyError) {
      report(this.reference, 'actor.policy-failed', { error: policyError });
      decision = ctx.escalate;
    }
    // The policy may be async; the actor can have been stopped meanwhile.
    if (this.stopped) return;
    const faulted = childRef ? this.children.get(childRef.name ?? '') : undefined;
    const parent = this.parent as (NactActor & NactSystem) | undefined;
    const siblings = () => [...(parent?.children.values() ?? [])];
    switch (decision) {
      case ctx.stop:
        this.stop();
        break;
      case ctx.stopAll:
        siblings().forEach((a) => a.stop());
        break;
      case ctx.stopChild:
        faulted?.stop();
        break;
      case ctx.stopAllChildren:
        [...this.children.values()].forEach((a) => a.stop());
        break;
      case ctx.resume:
        // On an escalated fault, nact resumed the parent and left the faulted child busy forever.
        if (childRef) faulted?.resume();
        else this.resume();
        break;
      case ctx.reset:
        this.reset();
        break;
      case ctx.resetAll:
        siblings().forEach((a) => a.reset());
        break;
      case ctx.resetChild:
        faulted?.reset();
        break;
      case ctx.resetAllChildren:
        [...this.children.values()].forEach((a) => a.reset());
        break;
      default:
        if (parent) parent.handleFault(msg, sender, error, this.reference);
        else this.stop();
    }
  } catch (shieldError) {
    report(this.reference, 'actor.fault-handling-failed', { error: shieldError });
    try {
      if (!this.stopped) this.stop();
    } catch {
      // already torn down
    }
  }
}
