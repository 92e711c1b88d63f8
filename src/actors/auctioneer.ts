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
import { runRound, type Batch } from './auction-round.js';

type Internal =
  | { type: 'auctioneer/flush' }
  | { type: 'auctioneer/round-done'; name: string };
type Msg = AuctioneerMsg | Internal;

interface State {
  lrps: LrpStart[];
  tasks: TaskStart[];
  /** the round in flight */
  running: string | undefined;
  flushQueued: boolean;
  timer: Timer | undefined;
  rounds: number;
}

export function spawnAuctioneer(system: ActorSystem, parent: AnyRef, cells: Ref<CellsMsg>, deps: ControlDeps, onCrash?: CrashPolicy): Ref<AuctioneerMsg> {
  const windowMs = deps.settings.auctionBatchWindowMs;
  return system.spawn<State, Msg>(parent, {
    kind: 'auctioneer',
    ...(onCrash ? { onCrash } : {}),
    name: 'auctioneer',
    initialState: () => ({ lrps: [], tasks: [], running: undefined, flushQueued: false, timer: undefined, rounds: 0 }),
    summary: (s) => ({ queued_lrps: s.lrps.length, queued_tasks: s.tasks.length, running: s.running ?? null, rounds: s.rounds }),
    afterStop: (s) => s.timer?.cancel(),
    handle: (state, msg, ctx) => {
      const scheduleFlush = (s: State): State => {
        if (s.running || s.flushQueued || (s.lrps.length === 0 && s.tasks.length === 0)) return s;
        if (windowMs > 0) {
          const timer = ctx.clock.setTimeout(() => system.dispatch(ctx.self, { type: 'auctioneer/flush' }), windowMs);
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
          const round = system.spawnStateless<{ type: 'round/run' }>(ctx.self, {
            kind: 'auction-round',
            name,
            onCrash: stopOnCrash,
            handle: async (_m, rctx) => {
              try {
                await runRound(system, rctx.log, cells, batch, deps);
              } finally {
                system.dispatch(ctx.self, { type: 'auctioneer/round-done', name });
              }
            },
          });
          system.dispatch(round, { type: 'round/run' });
          return { lrps: [], tasks: [], running: name, flushQueued: false, timer: undefined, rounds: n };
        }
        case 'auctioneer/round-done': {
          const child = ctx.children.get(msg.name);
          if (child) system.stop(child);
          return scheduleFlush({ ...state, running: state.running === msg.name ? undefined : state.running });
        }
        default:
          return assertNever(msg);
      }
    },
  });
}
