/**
 * Convergence (BBS's converger, DIEGO.md 3.3-3.7): every `convergenceIntervalMs` on the Clock,
 * and whenever a cell disappears, compare desired with actual; when a cell appears, its SUSPECT
 * instances are promoted (`lrps/cell-appeared`; `lrps` announces the cells that appear close
 * together in one message to each supervisor). The plans are the models' pure
 * planners; `lrps` and `tasks` execute them against their children.
 *
 * After a start (a control restart) every cell the rows name gets a fair chance to report
 * before anything of it is judged: for `firstPassGraceMs` (a TTL plus the longest reconnect, in
 * deps.ts) a pass judges only the cells heard from since the start (`heardCells`); the first
 * periodic pass comes at the end of that grace at the earliest.
 */
import { assertNever, type AnyRef, type Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem, CrashPolicy } from '../runtime/kernel/system.js';
import type { Timer } from '../base/clock.js';
import type { CellPresence } from '../models/cell-state.js';
import type { LrpConvergenceCounts } from '../models/lrp-convergence.js';
import { CellsMsg } from './cells.protocol.js';
import { firstPassGraceMs, type ControlDeps } from './control-deps.js';
import { DomainsMsg } from './domains.protocol.js';
import { LrpsMsg } from './lrps.protocol.js';
import { TasksMsg } from './tasks.protocol.js';
import type { ConvergenceMsg, ConvergenceReport } from './convergence.protocol.js';
import { secondsSince } from './control-metrics.js';
import { CONVERGENCE_PROTOCOL } from './convergence.protocol-schema.js';

type Msg = ConvergenceMsg | { type: 'convergence/tick' } | { type: 'convergence/pass' };

/**
 * What the next pass answers for (outside the state, like `lrps`' appeared cells: nothing to
 * journal, and a supervised restart keeps its `convergence/pass` queued): every request made
 * while a pass is queued or running joins the one pass that comes next.
 */
interface Pending {
  /** a `convergence/pass` is in the mailbox */
  queued: boolean;
  replyTo: Ref<ConvergenceReport>[];
  /** the cells whose disappearance asked for it */
  lostCells: Set<string>;
  /** the periodic tick asked for it: the timer is armed again after it */
  tick: boolean;
}

interface State {
  passes: number;
  timer: Timer | undefined;
  unsubscribe: (() => void) | undefined;
  /** the end of the grace after the start */
  graceUntil: number;
  /** the cells heard from since the start (only judged during the grace) */
  heard: Set<string>;
}

/** the longest a pass of `lrps` is waited for */
const PASS_TIMEOUT_MS = 60_000;

export interface ConvergenceTargets {
  cells: Ref<CellsMsg>;
  domains: Ref<DomainsMsg>;
  lrps: Ref<LrpsMsg>;
  tasks: Ref<TasksMsg>;
}

export function spawnConvergence(system: ActorSystem, parent: AnyRef, targets: ConvergenceTargets, deps: ControlDeps, onCrash?: CrashPolicy): Ref<ConvergenceMsg> {
  const interval = deps.settings.convergenceIntervalMs;
  const timeout = deps.settings.askTimeoutMs;
  const pending: Pending = { queued: false, replyTo: [], lostCells: new Set(), tick: false };
  const request = (self: Ref<Msg>, ask: { replyTo?: Ref<ConvergenceReport>; lostCell?: string; tick?: boolean }) => {
    if (ask.replyTo) pending.replyTo.push(ask.replyTo);
    if (ask.lostCell !== undefined) pending.lostCells.add(ask.lostCell);
    if (ask.tick) pending.tick = true;
    if (pending.queued) return;
    pending.queued = true;
    system.dispatch(self, { type: 'convergence/pass' });
  };
  const arm = (self: Ref<Msg>, ms: number) => (interval > 0 ? system.clock.setTimeout(() => system.dispatch(self, { type: 'convergence/tick' }), ms) : undefined);
  return system.spawn<State, Msg>(parent, {
    kind: 'convergence',
    protocol: CONVERGENCE_PROTOCOL,
    ...(onCrash ? { onCrash } : {}),
    name: 'convergence',
    initialState: (ctx) => {
      // the first pass waits until every live cell has had the time to find a restarted control
      // node (through its reconnect backoffs) and announce itself, so a restarted control does
      // not take cells it has not heard from yet for lost ones
      const grace = firstPassGraceMs(deps.settings);
      const first = arm(ctx.self, Math.max(interval, grace));
      const heard = new Set<string>();
      const subscription = deps.events.events$.subscribe((e) => {
        if (e.type === 'cell_appeared') heard.add(e.data.cell.cell_id);
        // a thousand cells expiring together ask for one pass (or two), not a thousand
        if (e.type === 'cell_disappeared') request(ctx.self, { lostCell: e.data.cell_id });
        // a returning cell's SUSPECT instances are promoted at once (not a whole pass: after a
        // control restart the cells appear one by one, and a pass would take the others for lost)
        if (e.type === 'cell_appeared') {
          system.dispatch(targets.lrps, LrpsMsg.cellAppeared(e.data.cell.cell_id));
          // a cell back from a cut link may still run copies replaced meanwhile: its report of
          // them now gets them stopped, instead of at its next reconcile tick (30 s)
          deps.clientFor(e.data.cell.cell_id)?.reconcile?.();
        }
      });
      return { passes: 0, timer: first, unsubscribe: () => subscription.unsubscribe(), graceUntil: ctx.clock.now() + grace, heard };
    },
    summary: (s) => ({ passes: s.passes }),
    afterStop: (s) => {
      s.timer?.cancel();
      s.unsubscribe?.();
    },
    handle: async (state, msg, ctx) => {
      switch (msg.type) {
        case 'convergence/tick':
          request(ctx.self, { tick: true });
          return state;
        case 'convergence/run':
          request(ctx.self, msg.replyTo ? { replyTo: msg.replyTo } : {});
          return state;
        case 'convergence/pass': {
          const { replyTo, lostCells, tick } = pending;
          Object.assign(pending, { queued: false, replyTo: [], lostCells: new Set(), tick: false });
          const pass = state.passes + 1;
          let lrps: LrpConvergenceCounts | undefined;
          deps.metrics.convergenceStarted();
          const started = performance.now();
          try {
            const [cells, fresh] = await Promise.all([
              system.query<CellsMsg, CellPresence[]>(targets.cells, CellsMsg.list, timeout),
              system.query<DomainsMsg, string[]>(targets.domains, DomainsMsg.fresh, timeout),
            ]);
            const present = cells.map((c) => c.cell_id);
            // during the grace a cell not heard from yet counts as present (convergence.protocol.ts)
            const heard = ctx.clock.now() < state.graceUntil ? [...state.heard] : undefined;
            system.dispatch(targets.tasks, TasksMsg.converge(present, heard));
            // a pass at 250k LRPs takes seconds in slices: waiting only an ask's timeout would start
            // the next pass while `lrps` still works on this one
            lrps = await system.query<LrpsMsg, LrpConvergenceCounts>(targets.lrps, (r) => LrpsMsg.converge(present, fresh, r, heard), Math.max(timeout, PASS_TIMEOUT_MS));
            const lost = lostCells.size > 0 ? { lost_cells: lostCells.size } : {};
            ctx.log.debug({ pass, ...lrps, ...lost, requests: replyTo.length, ...(heard ? { grace: true } : {}) }, 'convergence.pass');
          } catch (error) {
            ctx.log.warn({ pass, error: String(error) }, 'convergence.pass-failed');
          }
          deps.metrics.convergencePass(secondsSince(started), lrps);
          for (const r of replyTo) system.dispatch(r, { pass, lrps });
          return { ...state, passes: pass, timer: tick ? arm(ctx.self, interval) : state.timer };
        }
        default:
          return assertNever(msg);
      }
    },
  }) as Ref<ConvergenceMsg>;
}
