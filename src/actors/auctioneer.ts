/**
 * The auctioneer (Diego's auctioneer, DIEGO.md 3.1): start requests queue up while a round runs
 * (or for `auctionBatchWindowMs` on the Clock) and go out together in the next round. Each round
 * is a child `auction-<n>` (auction-round.ts). At most one round runs at a time, as in Diego.
 *
 * Not persistent, on purpose: whoever asked for a start (an UNCLAIMED ActualLRP, a PENDING task)
 * is persistent and asks again when it recovers, so a control crash mid-round retries the round's
 * work without a second journal that could disagree with the owners'.
 */
import { assertNever, type AnyRef, type Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem, CrashPolicy } from '../runtime/kernel/system.js';
import type { Timer } from '../base/clock.js';
import { stopOnCrash } from '../runtime/kernel/supervision.js';
import type { ControlDeps } from './control-deps.js';
import type { CellsMsg } from './cells.protocol.js';
import type { AuctioneerMsg, LrpStart, TaskStart } from './auctioneer.protocol.js';
import { runRound, type Batch, type RoundOutcome } from './auction-round.js';

type Internal =
  | { type: 'auctioneer/flush' }
  /** `deferred`: the round's work, to go into a later round (auction-round.ts DEFER_BELOW_ANSWERED) */
  | { type: 'auctioneer/round-done'; name: string; deferred?: Batch };

/** Rounds in a row that may be deferred for want of answers; the next one decides with the cells that answered, as Diego does. */
export const MAX_DEFERRED_ROUNDS = 5;
/** ms a deferred round's work waits before the next round, so a busy node can catch up on the answers. */
export const DEFERRED_ROUND_DELAY_MS = 1_000;
type Msg = AuctioneerMsg | Internal;

interface State {
  lrps: LrpStart[];
  tasks: TaskStart[];
  /** the round in flight */
  running: string | undefined;
  flushQueued: boolean;
  timer: Timer | undefined;
  rounds: number;
  /** rounds deferred in a row */
  deferred: number;
}

export function spawnAuctioneer(system: ActorSystem, parent: AnyRef, cells: Ref<CellsMsg>, deps: ControlDeps, onCrash?: CrashPolicy): Ref<AuctioneerMsg> {
  const windowMs = deps.settings.auctionBatchWindowMs;
  return system.spawn<State, Msg>(parent, {
    kind: 'auctioneer',
    ...(onCrash ? { onCrash } : {}),
    name: 'auctioneer',
    initialState: () => ({ lrps: [], tasks: [], running: undefined, flushQueued: false, timer: undefined, rounds: 0, deferred: 0 }),
    summary: (s) => ({ queued_lrps: s.lrps.length, queued_tasks: s.tasks.length, running: s.running ?? null, rounds: s.rounds, deferred_in_a_row: s.deferred }),
    afterStop: (s) => s.timer?.cancel(),
    handle: (state, msg, ctx) => {
      const scheduleFlush = (s: State, delayMs = windowMs): State => {
        if (s.running || s.flushQueued || (s.lrps.length === 0 && s.tasks.length === 0)) return s;
        if (delayMs > 0) {
          const timer = ctx.clock.setTimeout(() => system.dispatch(ctx.self, { type: 'auctioneer/flush' }), delayMs);
          return { ...s, flushQueued: true, timer };
        }
        // after the requests already in the mailbox, so they join this round
        system.dispatch(ctx.self, { type: 'auctioneer/flush' });
        return { ...s, flushQueued: true };
      };
      switch (msg.type) {
        // appended in place: 100k single-instance requests queued behind a round were O(n²) copied
        case 'auctioneer/start-lrps':
          for (const s of msg.starts) state.lrps.push(s);
          return scheduleFlush(state);
        case 'auctioneer/start-tasks':
          for (const s of msg.starts) state.tasks.push(s);
          return scheduleFlush(state);
        case 'auctioneer/flush': {
          if (state.running) return { ...state, flushQueued: false, timer: undefined };
          const batch: Batch = { lrps: state.lrps, tasks: state.tasks };
          const n = state.rounds + 1;
          const name = `auction-${n}`;
          const mayDefer = state.deferred < MAX_DEFERRED_ROUNDS;
          const round = system.spawnStateless<{ type: 'round/run' }>(ctx.self, {
            kind: 'auction-round',
            name,
            onCrash: stopOnCrash,
            handle: async (_m, rctx) => {
              let outcome: RoundOutcome = 'done';
              try {
                outcome = await runRound(system, rctx.log, cells, batch, deps, mayDefer);
              } finally {
                system.dispatch(ctx.self, { type: 'auctioneer/round-done', name, ...(outcome === 'deferred' ? { deferred: batch } : {}) });
              }
            },
          });
          system.dispatch(round, { type: 'round/run' });
          return { lrps: [], tasks: [], running: name, flushQueued: false, timer: undefined, rounds: n, deferred: state.deferred };
        }
        case 'auctioneer/round-done': {
          const child = ctx.children.get(msg.name);
          if (child) system.stop(child);
          const running = state.running === msg.name ? undefined : state.running;
          if (!msg.deferred) return scheduleFlush({ ...state, running, deferred: 0 });
          // the deferred work first: a newer request for the same index still wins in the round (auction-round.ts)
          const lrps = msg.deferred.lrps.concat(state.lrps);
          const tasks = msg.deferred.tasks.concat(state.tasks);
          return scheduleFlush({ ...state, lrps, tasks, running, deferred: state.deferred + 1 }, DEFERRED_ROUND_DELAY_MS);
        }
        default:
          return assertNever(msg);
      }
    },
  });
}
