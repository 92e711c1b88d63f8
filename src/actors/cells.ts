/**
 * The cell registry (Diego's BBS cell presences, DIEGO.md 1.8): a presence lives as long as its
 * heartbeats keep coming within `cellTtlMs` on the Clock. Not persistent: after a control
 * restart cells announce themselves again with their next heartbeat.
 *
 * While the control side recovers (its query index rebuilt, `lrps` seeded: QueryIndex.recovered)
 * and for a TTL after, no presence expires: the heartbeats that come meanwhile are read late
 * behind the recovery and every cell's container list (issue 14: at 50k instances 614 live cells
 * disappeared 6.4 s after a restart and 4761 healthy instances were started again elsewhere). A
 * cell that stops meanwhile disappears a TTL after the recovery; membership holds its verdicts
 * the same way (docs/052).
 */
import { assertNever, type Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem, CrashPolicy } from '../runtime/kernel/system.js';
import type { AnyRef } from '../runtime/kernel/protocol.js';
import type { Timer } from '../base/clock.js';
import type { CellPresence } from '../models/cell-state.js';
import { Events } from '../models/events.js';
import type { CellClient } from './cell.protocol.js';
import type { ControlDeps } from './control-deps.js';
import type { CellsMsg } from './cells.protocol.js';
import { CELLS_PROTOCOL } from './cells.protocol-schema.js';

type Internal = { type: 'cells/expired'; cell_id: string; generation: number };
type Msg = CellsMsg | Internal;

interface Live {
  presence: CellPresence;
  timer: Timer;
  /** bumped on every heartbeat, so a timer that fired late for an old one is ignored */
  generation: number;
  /** when the presence expires (Clock ms) unless a heartbeat comes first */
  due: number;
}

/**
 * An expiry handled this much after its due time means this node itself stalled (a busy event
 * loop, a long GC): the heartbeats that came meanwhile are still unread behind it, so the cell
 * gets that much longer, as membership ignores a local pause (docs/052). At 100k instances a
 * saturated control node let 1921 live cells expire during a fill and replaced 1062 healthy
 * instances (issue 14).
 */
const LATE_MS = 500;

/** The expiry of one heartbeat: its timer dispatches in a later turn, after the socket data read meanwhile. */
function armExpiry(system: ActorSystem, self: Ref<Msg>, clock: ActorSystem['clock'], cellId: string, generation: number, ms: number): Timer {
  return clock.setTimeout(() => setImmediate(() => setImmediate(() => system.dispatch(self, { type: 'cells/expired', cell_id: cellId, generation }))), ms);
}

interface State {
  cells: Map<string, Live>;
}

/** When presences may expire: after the control side's recovery and a TTL more (see above). */
function expiryHold(system: ActorSystem, deps: ControlDeps): { judgeFrom: number } {
  const hold = { judgeFrom: deps.queries ? Infinity : 0 };
  void deps.queries?.recovered.then(() => (hold.judgeFrom = system.clock.now() + deps.settings.cellTtlMs));
  return hold;
}

export function spawnCells(system: ActorSystem, parent: AnyRef, deps: ControlDeps, onCrash?: CrashPolicy): Ref<CellsMsg> {
  const hold = expiryHold(system, deps);
  return system.spawn<State, Msg>(parent, {
    kind: 'cells',
    protocol: CELLS_PROTOCOL,
    ...(onCrash ? { onCrash } : {}),
    name: 'cells',
    initialState: () => {
      deps.metrics.presentCells(0);
      return { cells: new Map() };
    },
    summary: (s) => ({ cells: [...s.cells.keys()] }),
    afterStop: (s) => s.cells.forEach((c) => c.timer.cancel()),
    handle: (state, msg, ctx) => {
      switch (msg.type) {
        case 'cells/heartbeat': {
          const id = msg.presence.cell_id;
          const previous = state.cells.get(id);
          previous?.timer.cancel();
          const generation = (previous?.generation ?? 0) + 1;
          const timer = armExpiry(system, ctx.self as Ref<Msg>, ctx.clock, id, generation, deps.settings.cellTtlMs);
          state.cells.set(id, { presence: msg.presence, timer, generation, due: ctx.clock.now() + deps.settings.cellTtlMs });
          if (!previous) {
            deps.events.publish(Events.cellAppeared(msg.presence));
            // after the event: a node's routing may learn from it where the cell is (cli/start-cluster.ts)
            ctx.log.info({ cell_id: id, reachable: deps.clientFor(id) !== undefined }, 'cell.appeared');
            deps.metrics.presentCells(state.cells.size);
          }
          return state;
        }
        case 'cells/expired': {
          const live = state.cells.get(msg.cell_id);
          if (!live || live.generation !== msg.generation) return state;
          const now = ctx.clock.now();
          const late = now - live.due;
          if (late > LATE_MS) {
            // this node stalled: the cell gets as long again as the stall took from it
            live.due = now + Math.min(late, deps.settings.cellTtlMs);
            live.timer = armExpiry(system, ctx.self as Ref<Msg>, ctx.clock, msg.cell_id, msg.generation, live.due - now);
            ctx.log.info({ cell_id: msg.cell_id, late_ms: late }, 'cell.expiry-deferred');
            return state;
          }
          if (now < hold.judgeFrom) {
            // recovering: judged once the hold is over, unless a heartbeat comes first
            const wait = Number.isFinite(hold.judgeFrom) ? hold.judgeFrom - now : deps.settings.cellTtlMs;
            live.due = now + wait;
            live.timer = armExpiry(system, ctx.self as Ref<Msg>, ctx.clock, msg.cell_id, msg.generation, wait);
            return state;
          }
          state.cells.delete(msg.cell_id);
          ctx.log.warn({ cell_id: msg.cell_id }, 'cell.disappeared');
          deps.events.publish(Events.cellDisappeared(msg.cell_id));
          deps.metrics.presentCells(state.cells.size);
          return state;
        }
        case 'cells/list':
          system.dispatch(msg.replyTo, [...state.cells.values()].map((c) => c.presence));
          return state;
        case 'cells/clients': {
          const clients: CellClient[] = [];
          for (const id of state.cells.keys()) {
            const client = deps.clientFor(id);
            if (client) clients.push(client);
          }
          system.dispatch(msg.replyTo, clients);
          return state;
        }
        default:
          return assertNever(msg);
      }
    },
  });
}
