/** A virtual counter child and a node around it, for the virtual-*.test.ts suites. */
import { ActorSystem, type CrashPolicy, type VirtualChildren, type VirtualKindSpec } from '../../../src/runtime/kernel/system.js';
import type { AnyRef, Ref } from '../../../src/runtime/kernel/protocol.js';
import type { PersistenceEngine } from '../../../src/runtime/persistence/engine.js';
import { LmdbPersistenceEngine } from '../../../src/runtime/persistence/lmdb-engine.js';
import { FakeClock } from '../../support/fake-clock.js';
import { tempDir } from '../../support/temp-dir.js';

export type CounterMsg =
  | { type: 'add'; n: number; replyTo?: Ref<number> }
  | { type: 'get'; replyTo: Ref<CounterState> }
  /** pending work: the counter is not idle while `pending` */
  | { type: 'hold'; pending: boolean }
  | { type: 'crash' }
  | { type: 'schedule'; delayMs: number; replyTo: Ref<true> }
  | { type: 'tick' };
export interface CounterState {
  total: number;
  /** values in the order they were added */
  seen: number[];
  pending: boolean;
  ticks: number;
}
export type CounterEvent = { type: 'added'; n: number } | { type: 'held'; pending: boolean } | { type: 'ticked' };

export const IDLE_MS = 1_000;
/** an amount whose event fails to apply, in replay too */
export const POISON = -13;

let systems = 0;

/** One node: an LMDB engine in a temp dir, a fake clock, a parent with virtual counters. */
export class VirtualNode {
  readonly clock = new FakeClock();
  readonly dir = tempDir('auctor-virtual-');
  engine: PersistenceEngine = LmdbPersistenceEngine.open(this.dir.path);
  system!: ActorSystem;
  parent!: AnyRef;
  counters!: VirtualChildren<CounterState, CounterMsg, CounterEvent>;
  /** activations (spawns, restarts included) by child name */
  readonly activations = new Map<string, number>();

  constructor(private readonly onCrash?: () => CrashPolicy) {
    this.start();
  }

  /** A new system (and parent) on the current engine; the parent declares its counters unless `declare` is false. */
  start(declare = true, deferTimers = false): void {
    this.system = ActorSystem.start({ name: `virtual-${systems++}`, engine: this.engine, clock: this.clock, deferTimers });
    this.parent = this.system.spawnStateless(this.system.root, { kind: 'holder', name: 'holder', handle: () => undefined });
    if (declare) this.declare();
  }

  /** The parent declares its virtual counters. */
  declare(): void {
    this.counters = this.system.spawnVirtualKind(this.parent, counterKind(this.activations, this.onCrash?.()));
  }

  /** Shuts the system down and closes the engine, then opens both again on the same directory. */
  async restart({ declare = true, downForMs = 0, deferTimers = false } = {}): Promise<void> {
    await this.system.shutdown();
    await this.engine.close();
    await this.clock.advance(downForMs);
    this.engine = LmdbPersistenceEngine.open(this.dir.path);
    this.start(declare, deferTimers);
  }

  get(name: string): Promise<CounterState> {
    return this.system.query<CounterMsg, CounterState>(this.counters.ref(name), (replyTo) => ({ type: 'get', replyTo }), 2_000);
  }

  add(name: string, n: number): Promise<number> {
    return this.system.query<CounterMsg, number>(this.counters.ref(name), (replyTo) => ({ type: 'add', n, replyTo }), 2_000);
  }

  /** Moves the fake clock past the idle time (the sweep runs every IDLE_MS). */
  async idle(): Promise<void> {
    await this.clock.advance(IDLE_MS);
    await this.clock.advance(IDLE_MS);
  }

  async close(): Promise<void> {
    await this.system.shutdown();
    await this.engine.close();
    this.dir.remove();
  }
}

/** The counters' kind: `activations` counts each child's activations (restarts included). */
export function counterKind(activations: Map<string, number>, policy?: CrashPolicy, keyPrefix = 'counter'): VirtualKindSpec<CounterState, CounterMsg, CounterEvent> {
  return {
    kind: 'counter',
    idleAfterMs: IDLE_MS,
    isIdle: (s) => !s.pending,
    spec: (name) => ({
      key: `${keyPrefix}/${name}`,
      ...(policy ? { onCrash: policy } : {}),
      summary: (s) => ({ total: s.total }),
      initialState: () => {
        activations.set(name, (activations.get(name) ?? 0) + 1);
        return { total: 0, seen: [], pending: false, ticks: 0 };
      },
      applyEvent: (s, e) => {
        // a record that cannot be read: every replay of this journal fails
        if (e.type === 'added' && e.n === POISON) throw new Error('poisoned record');
        if (e.type === 'added') return { ...s, total: s.total + e.n, seen: [...s.seen, e.n] };
        if (e.type === 'held') return { ...s, pending: e.pending };
        return { ...s, ticks: s.ticks + 1 };
      },
      handle: async (s, msg, ctx) => {
        switch (msg.type) {
          case 'add': {
            const next = await ctx.persist({ type: 'added', n: msg.n });
            if (msg.replyTo) ctx.system.dispatch(msg.replyTo, next.total);
            return next;
          }
          case 'get':
            ctx.system.dispatch(msg.replyTo, s);
            return s;
          case 'hold':
            return ctx.persist({ type: 'held', pending: msg.pending });
          case 'crash':
            throw new Error(`counter ${ctx.name} crashed`);
          case 'schedule':
            await ctx.system.timers.schedule(ctx.path, 'tick', msg.delayMs, { type: 'tick' });
            ctx.system.dispatch(msg.replyTo, true);
            return s;
          case 'tick':
            return ctx.persist({ type: 'ticked' });
        }
      },
    }),
  };
}
