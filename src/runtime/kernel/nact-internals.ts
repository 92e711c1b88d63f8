/**
 * The one place that reaches into nact 7.6.2's CommonJS internals. nact's published typings do
 * not match its runtime (ACTORS.md 1.7), so the kernel describes the parts it touches here and
 * nowhere else imports from 'nact/lib/...'.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** nact's reference object: plain data resolved through a process-global system map. */
export interface NactRef {
  readonly path: { readonly parts: readonly string[] };
  readonly name?: string;
  readonly system: { readonly name: string | undefined };
  readonly type: 'actor' | 'temp' | 'system' | 'nobody';
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

export const nact: NactApi = require('nact');

interface ActorClass {
  prototype: NactActor;
  getSafeTimeout(ms: number): number;
}

export const ActorClass: ActorClass = require('nact/lib/actor.js').Actor;

/** nact's reference to no one: the sender of a message sent from outside any actor. */
export const NactNobody: new () => NactRef = require('nact/lib/references.js').Nobody;

/** lib/persistence/persistent-actor.js does not export its class; reach it through a live instance. */
export const supervisionActions: Record<string, Decision> = require('nact/lib/supervision.js').SupervisionActions;

const systemMap: { find(systemName: string | undefined, ref?: NactRef): NactActor | NactSystem | undefined } =
  require('nact/lib/system-map.js');

/** The concrete actor behind `ref`, or undefined when it has stopped or never existed. */
export function findActor(ref: NactRef): NactActor | undefined {
  const found = systemMap.find(ref.system.name, ref);
  return found && ref.type === 'actor' ? (found as NactActor) : undefined;
}

export function findSystem(name: string): NactSystem | undefined {
  return systemMap.find(name) as NactSystem | undefined;
}
