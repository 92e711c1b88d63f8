/**
 * A cell-only node's link to the control node of the moment (`/control-link` in its tree): the
 * cell sends its reports here and keeps one ref however often the control node restarts or moves.
 *
 * While no control node is reachable (it restarts, or this node's membership has not seen it up
 * again yet) the reports about instances and tasks wait, in order, up to {@link REPORTS_HELD}
 * (older ones are dead letters past that), and go first once one is: a claim or a RUNNING report
 * lost there left its row UNCLAIMED until convergence took it for stale. Heartbeats and container
 * lists of the gap are dropped, as fresh ones follow. `onControlReached` runs after the first
 * report a control node gets from the link, and again after every gap or change of control node,
 * so the cell lists its containers at once (the list it sends at start goes out before it has
 * joined).
 *
 * Presence heartbeats travel in the remoting's priority lane (docs/050-remoting.md), ahead of the
 * reports queued for the control node: a full bulk queue neither refuses nor delays them.
 */
import { remoteRef, type AnyRef, type Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem, DispatchOptions } from '../runtime/kernel/system.js';
import type { ClusterNode } from '../runtime/cluster/cluster-node.js';
import type { CellReport } from './cell.protocol.js';

const PRIORITY: DispatchOptions = { priority: true };

/** Reports about instances and tasks a cell keeps while no control node is reachable (about 2 MB at most). */
export const REPORTS_HELD = 10_000;

/** The control node's name: this node when it has the role, else a member that is up with it. */
export function controlNode(cluster: Pick<ClusterNode, 'nodeWithRole'>): string | undefined {
  return cluster.nodeWithRole('control');
}

export interface ControlLinkOptions {
  /** the control node of the moment, undefined while none is reachable (`controlNode` above) */
  controlNode: () => string | undefined;
  /** a control node got its first report from this link, or its first after a gap or a change */
  onControlReached?: (control: string) => void;
  parent?: AnyRef;
}

export function spawnControlLink(system: ActorSystem, options: ControlLinkOptions): Ref<CellReport> {
  const { controlNode: current, onControlReached, parent = system.root } = options;
  let reached: string | undefined;
  const held: CellReport[] = [];
  return system.spawnStateless<CellReport>(parent, {
    kind: 'control-link',
    name: 'control-link',
    // a heartbeat to the control node already reached goes at once, not behind this mailbox
    onArrival: (report) => {
      if (report.type !== 'cell-report/heartbeat' || reached === undefined || current() !== reached) return false;
      system.dispatch(remoteRef<CellReport>(reached, '/control'), report, PRIORITY);
      return true;
    },
    handle: (report) => {
      const control = current();
      if (!control) {
        reached = undefined;
        if (report.type === 'cell-report/heartbeat' || report.type === 'cell-report/containers') system.deadLetter({ to: '/control', type: report.type, reason: 'no control node: fresh ones follow' });
        else if (held.push(report) > REPORTS_HELD) {
          const dropped = held.shift()!;
          system.deadLetter({ to: '/control', type: dropped.type, reason: `no control node: more than ${REPORTS_HELD} reports held` });
        }
        return;
      }
      const to = remoteRef<CellReport>(control, '/control');
      for (const waiting of held.splice(0)) system.dispatch(to, waiting);
      // a heartbeat overtakes the reports queued for the control node (control hands it on to cells at once)
      system.dispatch(to, report, report.type === 'cell-report/heartbeat' ? PRIORITY : undefined);
      if (control !== reached) {
        reached = control;
        onControlReached?.(control);
      }
    },
  });
}
