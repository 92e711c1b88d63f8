/**
 * The boot check: the kernel patches nact's prototypes process-wide (shield.ts, children-view.ts,
 * turns.ts) and reads its internals (nact-internals.ts), all written against one release. Before
 * any patch is applied, {@link checkNact} compares what is installed with {@link NACT_EXPECTATIONS}
 * (every member patched, called or read, with its shape) and with the pinned version; a mismatch
 * is one message, and the kernel refuses to start with it (system.ts).
 *
 * The check is a pure function over {@link NactModules}, the objects to inspect, so a test can
 * hand it a doctored copy; nact-internals.ts gathers the real ones. The table is also what
 * docs/011-actor-kernel.md shows ({@link renderNactTable}; a test keeps the page in step).
 */

/** The release the patches were written and reviewed for; package.json pins it exactly. */
export const PINNED_NACT_VERSION = '7.6.2';

/**
 * Where an expected member lives. `X.prototype` and `X` (statics) are nact's classes; `X#` is
 * an instance (its own fields), made by a probe actor system; `nact` is the package's exports.
 */
export type NactOwner =
  | 'nact'
  | 'Actor'
  | 'Actor.prototype'
  | 'Actor#'
  | 'PersistentActor.prototype'
  | 'PersistentActor#'
  | 'ActorSystem.prototype'
  | 'ActorSystem#'
  | 'references'
  | 'SupervisionActions'
  | 'systemMap';

/**
 * The objects the check inspects, by owner. An owner that could not be reached is undefined, and
 * `unreachable` says why (a file of nact's that does not load, a probe that failed).
 */
export type NactModules = { version: string | undefined; unreachable?: readonly string[] } & { [owner in NactOwner]: object | undefined };

/** What a member must be: a function taking `fn` parameters (its `length`), or a value of a kind (`own`: present, any value). */
export type NactShape = { fn: number } | 'function' | 'map' | 'queue' | 'ref' | 'object' | 'string' | 'number' | 'boolean' | 'symbol' | 'own';

export interface NactExpectation {
  owner: NactOwner;
  member: string;
  shape: NactShape;
  /** replaced or wrapped by a patch, called, or read */
  use: 'replaced' | 'wrapped' | 'called' | 'read';
  why: string;
}

const row = (owner: NactOwner, member: string, shape: NactShape, use: NactExpectation['use'], why: string): NactExpectation => ({ owner, member, shape, use, why });

/** Hazard letters refer to the table in shield.ts (docs/011-actor-kernel.md "The shield"). */
export const NACT_EXPECTATIONS: readonly NactExpectation[] = [
  row('nact', 'start', { fn: 0 }, 'called', 'starts a node\'s system with the shield as a plugin'),
  row('nact', 'spawn', { fn: 4 }, 'called', 'ActorSystem.spawn'),
  row('nact', 'spawnPersistent', { fn: 5 }, 'called', 'ActorSystem.spawnPersistent'),
  row('nact', 'dispatch', { fn: 3 }, 'called', 'sends to temp and system refs'),
  row('nact', 'query', { fn: 3 }, 'called', 'ActorSystem.query'),
  row('nact', 'stop', { fn: 1 }, 'called', 'ActorSystem.stop, shutdown'),
  row('nact', 'configurePersistence', { fn: 1 }, 'called', 'the persistence engine plugin'),
  row('Actor', 'getSafeTimeout', { fn: 1 }, 'replaced', '(c) clamp before truncating'),
  row('Actor.prototype', 'dispatch', { fn: 1 }, 'replaced', '(k) one shared Nobody'),
  row('Actor.prototype', 'handleMessage', { fn: 2 }, 'replaced', '(j) up to 64 messages per turn (turns.ts)'),
  row('Actor.prototype', 'handleFault', { fn: 3 }, 'replaced', '(a)(f) fault handling that never rejects'),
  row('Actor.prototype', 'stop', { fn: 0 }, 'wrapped', '(g) stop the children first'),
  row('Actor.prototype', 'processNext', { fn: 0 }, 'wrapped', '(i) drop the last Immediate'),
  row('Actor.prototype', 'createContext', { fn: 1 }, 'replaced', '(h) a ChildrenView, the last context reused'),
  row('Actor.prototype', 'childSpawned', { fn: 1 }, 'replaced', '(h) keeps the view exact; shared empty child maps'),
  row('Actor.prototype', 'childStopped', { fn: 1 }, 'replaced', '(h) keeps the view exact'),
  row('Actor.prototype', 'createSupervisionContext', { fn: 3 }, 'called', 'the decisions a policy returns'),
  row('Actor.prototype', 'assertNotStopped', { fn: 0 }, 'called', 'the (k) dispatch'),
  row('Actor.prototype', 'clearTimeout', { fn: 0 }, 'called', 'the (k) dispatch; a fresh actor\'s first start'),
  row('Actor.prototype', 'afterMessage', { fn: 0 }, 'called', 'each message of a turn (j)'),
  row('Actor.prototype', 'reset', { fn: 0 }, 'called', 'restart decisions'),
  row('Actor.prototype', 'resume', { fn: 0 }, 'called', 'resume decisions'),
  row('Actor.prototype', 'query', { fn: 2 }, 'called', 'through nact.query'),
  row('Actor#', 'children', 'map', 'read', 'the tree, stopping children (g), shared empty maps'),
  row('Actor#', 'childReferences', 'map', 'read', '(h) the ChildrenView reads it live'),
  row('Actor#', 'mailbox', 'queue', 'read', 'turns (j), introspection, quarantine'),
  row('Actor#', 'busy', 'boolean', 'read', 'the (k) dispatch, turns (j)'),
  row('Actor#', 'stopped', 'boolean', 'read', 'delivery, turns, the registry'),
  row('Actor#', 'reference', 'ref', 'read', 'contexts, the registry'),
  row('Actor#', 'parent', 'object', 'read', 'escalation, contexts'),
  row('Actor#', 'name', 'string', 'read', 'contexts, the children view'),
  row('Actor#', 'path', 'object', 'read', 'contexts'),
  row('Actor#', 'f', 'function', 'called', 'where nact keeps the handler: turns (j) call it'),
  row('Actor#', 'onCrash', 'function', 'called', 'where nact keeps the policy: fault handling (a)'),
  row('Actor#', 'state', 'own', 'read', 'turns, summaries'),
  row('Actor#', 'immediate', 'own', 'replaced', '(i) cleared when idle'),
  row('Actor#', 'log', 'own', 'read', 'contexts'),
  row('PersistentActor.prototype', 'recover', { fn: 0 }, 'wrapped', 'marks replay; waits for eager writes'),
  row('PersistentActor.prototype', 'createContext', { fn: 0 }, 'replaced', 'one bound persist per actor'),
  row('PersistentActor.prototype', 'handleFaultedRecovery', { fn: 3 }, 'replaced', '(l) no console lines'),
  row('PersistentActor.prototype', 'persist', { fn: 1 }, 'called', 'ctx.persist, ctx.persistEagerly'),
  row('PersistentActor.prototype', 'reset', { fn: 0 }, 'called', 'restart during replay'),
  row('PersistentActor#', 'key', 'string', 'read', 'the persistence key'),
  row('PersistentActor#', 'sequenceNumber', 'number', 'replaced', 'a fresh actor\'s first start'),
  row('PersistentActor#', 'snapshotEvery', 'number', 'replaced', 'snapshotEvery as a function of the state'),
  row('ActorSystem.prototype', 'stop', { fn: 0 }, 'wrapped', '(g) stop the children first (on each system, by the shield\'s plugin)'),
  row('ActorSystem.prototype', 'addTempReference', { fn: 2 }, 'wrapped', '(b) temp ids from a counter (on each system)'),
  row('ActorSystem.prototype', 'handleFault', { fn: 4 }, 'replaced', 'top-level failures reported, not printed (on each system)'),
  row('ActorSystem#', 'name', 'string', 'read', 'the node name'),
  row('ActorSystem#', 'children', 'map', 'read', 'top-level actors, stopping them (g)'),
  row('ActorSystem#', 'tempReferences', 'map', 'read', 'failing a local ask; a remote reply to a local ask'),
  row('ActorSystem#', 'reference', 'ref', 'read', 'the root of the tree'),
  row('references', 'Nobody', { fn: 0 }, 'called', '(k) the one shared Nobody'),
  row('systemMap', 'find', { fn: 2 }, 'called', 'resolving a reference to its actor'),
  ...['stop', 'stopAll', 'stopChild', 'stopAllChildren', 'escalate', 'resume', 'reset', 'resetAll', 'resetChild', 'resetAllChildren'].map((decision) =>
    row('SupervisionActions', decision, 'symbol', 'read', 'a policy\'s decisions'),
  ),
];

/** `Actor.prototype.dispatch`, `Actor#mailbox`, `nact.spawn`. */
export function memberName(e: Pick<NactExpectation, 'owner' | 'member'>): string {
  return e.owner.endsWith('#') ? `${e.owner}${e.member}` : `${e.owner}.${e.member}`;
}

/** Thrown by the kernel's first start when the installed nact is not the one its patches were written for. */
export class NactIncompatibleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NactIncompatibleError';
  }
}

/**
 * Why the kernel must not run on `modules`, as one message naming the version found, the one
 * expected and each member missing or changed; undefined when they are what it was written for.
 */
export function checkNact(modules: NactModules, expected: readonly NactExpectation[] = NACT_EXPECTATIONS, version = PINNED_NACT_VERSION): string | undefined {
  const problems: string[] = [];
  problems.push(...(modules.unreachable ?? []));
  for (const e of expected) {
    const owner = modules[e.owner];
    if (owner === undefined) {
      if (!modules.unreachable?.length) problems.push(`${memberName(e)} is missing`);
      continue; // otherwise named once, by `unreachable`
    }
    const problem = shapeProblem(owner, e);
    if (problem !== undefined) problems.push(`${memberName(e)} ${problem}`);
  }
  const found = modules.version ?? 'of unknown version';
  if (modules.version === version && problems.length === 0) return undefined;
  if (modules.version !== version) {
    const detail = problems.length > 0 ? problems.join('; ') : 'every member the kernel patches or reads is still there: review the patches against it, then pin it';
    return `nact ${found} is not the version the kernel's patches were written for (${version}): ${detail}`;
  }
  return `nact ${found} is the version the kernel's patches were written for, but it has changed: ${problems.join('; ')}`;
}

function shapeProblem(owner: object, e: NactExpectation): string | undefined {
  if (!(e.member in owner)) return 'is missing';
  const value = (owner as Record<string, unknown>)[e.member];
  const shape = e.shape;
  if (typeof shape === 'object') {
    if (typeof value !== 'function') return `changed: it is ${kindOf(value)}, not a function`;
    return value.length === shape.fn ? undefined : `changed: it takes ${value.length} parameters, not ${shape.fn}`;
  }
  return fitsKind(value, shape) ? undefined : `changed: it is ${kindOf(value)}, not ${article(shape)}`;
}

function fitsKind(value: unknown, kind: Exclude<NactShape, { fn: number }>): boolean {
  switch (kind) {
    case 'own':
      return true;
    case 'function':
      return typeof value === 'function';
    case 'map':
      return value instanceof Map;
    case 'queue': {
      const q = value as { push?: unknown; shift?: unknown; toArray?: unknown; length?: unknown } | null;
      return typeof q === 'object' && q !== null && typeof q.push === 'function' && typeof q.shift === 'function' && typeof q.toArray === 'function' && typeof q.length === 'number';
    }
    case 'ref': {
      const r = value as { type?: unknown; system?: { name?: unknown }; path?: { parts?: unknown } } | null;
      return typeof r === 'object' && r !== null && typeof r.type === 'string' && typeof r.system === 'object' && r.system !== null && 'name' in r.system && Array.isArray(r.path?.parts);
    }
    case 'object':
      return typeof value === 'object' && value !== null;
    default:
      return typeof value === kind;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (value instanceof Map) return 'a map';
  return article(typeof value);
}

function article(kind: string): string {
  const words: Record<string, string> = { ref: 'a reference ({type, system.name, path.parts})', queue: 'a queue (push, shift, toArray, length)', object: 'an object' };
  return words[kind] ?? `a ${kind}`;
}

/** The table as docs/011-actor-kernel.md shows it. */
export function renderNactTable(expected: readonly NactExpectation[] = NACT_EXPECTATIONS): string {
  const shape = (s: NactShape) => (typeof s === 'object' ? `function(${s.fn})` : s);
  return [
    '| member | shape | the kernel | why |',
    '|---|---|---|---|',
    ...expected.map((e) => `| \`${memberName(e)}\` | ${shape(e.shape)} | ${e.use} | ${e.why} |`),
  ].join('\n');
}
