/**
 * The one place that reaches into nact 7.6.2's CommonJS internals. nact's published typings do
 * not match its runtime (ACTORS.md 1.7), so the kernel describes the parts it touches here and
 * nowhere else imports from 'nact/lib/...'.
 */
import { createRequire } from 'node:module';
import type { NactModules } from './nact-compat.js';
import type { LocalRef } from './protocol.js';

const require = createRequire(import.meta.url);
const unloadable: string[] = [];

/** A file of nact's, or undefined (named by the boot check) when this release has none. */
function load(path: string): any {
  try {
    return require(path);
  } catch (error) {
    unloadable.push(`${path} cannot be loaded (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
    return undefined;
  }
}

/** nact's reference object: plain data resolved through a process-global system map (the shield numbers temp refs). */
export interface NactRef extends LocalRef {
  id?: number;
}

/** The concrete actor object behind a reference (lib/actor.js `Actor`). */
export interface NactActor {
  name: string;
  parent?: NactActor | NactSystem;
  children: Map<string, NactActor>;
  reference: NactRef;
  mailbox: { length: number; toArray(): unknown[] };
  busy: boolean;
  stopped: boolean;
  state: unknown;
  onCrash: (msg: unknown, err: unknown, ctx: NactSupervisionCtx, child?: NactRef) => unknown;
  dispatch(msg: unknown, sender?: NactRef): void;
  stop(): void;
  reset(): void;
  resume(): void;
  processNext(): void;
  handleFault(msg: unknown, sender: unknown, error: unknown, child?: NactRef | NactActor): Promise<void>;
  createSupervisionContext(msg: unknown, sender: unknown, error: unknown): NactSupervisionCtx;
  /** set by the shield while a persistent actor replays its journal */
  auctorRecovering?: boolean;
  key?: string;
  sequenceNumber?: number;
  /** persistent actors: events between snapshots, and events left until the next one */
  snapshotEvery?: number;
  messagesToNextSnapshot?: number;
  /** set by the kernel: eager writes still in flight (a restart waits for them) */
  auctorWrites?: Set<Promise<void>>;
}

/** What nact keeps for a pending query (lib/deferral.js): settling it answers the asker. */
export interface NactDeferral {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export interface NactSystem {
  name: string;
  children: Map<string, NactActor>;
  reference: NactRef;
  tempReferences: Map<number, NactDeferral>;
  stopped: boolean;
  stop(): void;
  addTempReference(ref: NactRef, deferral: unknown): void;
  removeTempReference(ref: NactRef): void;
  handleFault(msg: unknown, sender: unknown, error: unknown, child: NactRef | NactActor): void;
}

export type Decision = symbol;

export interface NactSupervisionCtx {
  path: unknown;
  self: NactRef;
  mailbox: unknown[];
  stop: Decision;
  stopAll: Decision;
  stopChild: Decision;
  stopAllChildren: Decision;
  escalate: Decision;
  resume: Decision;
  reset: Decision;
  resetAll: Decision;
  resetChild: Decision;
  resetAllChildren: Decision;
}

export interface NactContext {
  self: NactRef;
  parent: NactRef | undefined;
  name: string;
  path: unknown;
  children: Map<string, NactRef>;
  sender: NactRef | undefined;
  persist?: (event: unknown, tags?: string[]) => Promise<void>;
  recovering?: boolean;
}

type Props = Record<string, unknown>;

export interface NactApi {
  start(...plugins: unknown[]): NactRef;
  spawn(parent: NactRef, f: (state: any, msg: any, ctx: NactContext) => unknown, name?: string, props?: Props): NactRef;
  spawnPersistent(parent: NactRef, f: (state: any, msg: any, ctx: NactContext) => unknown, key: string, name?: string, props?: Props): NactRef;
  dispatch(ref: NactRef, msg: unknown, sender?: NactRef): void;
  query(ref: NactRef, msg: unknown, timeoutMs: number): Promise<unknown>;
  stop(ref: NactRef): void;
  configurePersistence(engine: unknown): (system: NactSystem) => void;
}

export const nact: NactApi = load('nact');

interface ActorClass {
  prototype: NactActor;
  getSafeTimeout(ms: number): number;
}

export const ActorClass: ActorClass = load('nact/lib/actor.js')?.Actor;

/** nact's reference to no one: the sender of a message sent from outside any actor. */
const references = load('nact/lib/references.js');
export const NactNobody: new () => NactRef = references?.Nobody;

export const supervisionActions: Record<string, Decision> = load('nact/lib/supervision.js')?.SupervisionActions;

const systemMap: { find(systemName: string | undefined, ref?: NactRef): NactActor | NactSystem | undefined } =
  load('nact/lib/system-map.js');

/** The concrete actor behind `ref`, or undefined when it has stopped or never existed. */
export function findActor(ref: NactRef): NactActor | undefined {
  const found = systemMap.find(ref.system.name, ref);
  return found && ref.type === 'actor' ? (found as NactActor) : undefined;
}

export function findSystem(name: string): NactSystem | undefined {
  return systemMap.find(name) as NactSystem | undefined;
}

const PROBE = 'auctor.nact-compat-probe';
let snapshot: NactModules | undefined;

/**
 * What the boot check (nact-compat.ts) inspects, as nact had it before any patch: copies of the
 * own members of its exports, classes and prototypes, and of the fields of a probe system, actor
 * and persistent actor (nact exports neither ActorSystem nor PersistentActor: they are reached
 * through instances, started and stopped here at once). Taken on the first call, which
 * installShield makes before it patches anything.
 */
export function nactModules(): NactModules {
  return (snapshot ??= takeSnapshot());
}

function takeSnapshot(): NactModules {
  const modules: NactModules = {
    version: load('nact/package.json')?.version,
    nact: copy(nact),
    Actor: copy(ActorClass),
    'Actor.prototype': copy(ActorClass?.prototype),
    'Actor#': undefined,
    'PersistentActor.prototype': undefined,
    'PersistentActor#': undefined,
    'ActorSystem.prototype': undefined,
    'ActorSystem#': undefined,
    references: copy(references),
    SupervisionActions: copy(supervisionActions),
    systemMap: copy(systemMap),
  };
  try {
    Object.assign(modules, probe());
  } catch (error) {
    unloadable.push(`a probe actor system could not be run (${error instanceof Error ? error.message : String(error)})`);
    findSystem(PROBE)?.stop();
  }
  if (unloadable.length > 0) modules.unreachable = [...unloadable];
  return modules;
}

/** Starts a system with a plain and a persistent actor, copies what the check reads, stops them. */
function probe(): Partial<NactModules> {
  // never asked: the persistent actor is stopped before its first recovery runs
  const engine = {};
  const root = nact.start({ name: PROBE }, nact.configurePersistence(engine));
  const system = findSystem(PROBE)!;
  const actor = findActor(nact.spawn(root, (state: unknown) => state, 'actor'))!;
  const persistent = findActor(nact.spawnPersistent(root, (state: unknown) => state, 'probe', 'persistent'))!;
  const found: Partial<NactModules> = {
    'Actor#': { ...actor },
    'PersistentActor.prototype': copy(Object.getPrototypeOf(persistent)),
    'PersistentActor#': { ...persistent },
    'ActorSystem.prototype': copy(Object.getPrototypeOf(system)),
    'ActorSystem#': { ...system },
  };
  // nact's own stop: no patch is installed yet (and this stop cancels the scheduled recovery)
  persistent.stop();
  actor.stop();
  system.stop();
  return found;
}

function copy(from: object | undefined): object | undefined {
  return from === undefined || from === null ? undefined : Object.defineProperties({}, Object.getOwnPropertyDescriptors(from));
}
