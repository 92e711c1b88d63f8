/**
 * An instance's timeline (`GET /v1/actual_lrps/:guid/:index/timeline`), read from its journal
 * (actual-lrp.rows.ts) through the persistence engine: no actor is asked or woken. Each journaled
 * event is compared with the rows before it, and what changed becomes entries:
 *
 * | rows before → after (ORDINARY unless said)               | entry                                   |
 * |----------------------------------------------------------|-----------------------------------------|
 * | none or placed → UNCLAIMED, no placement error           | `unclaimed` (the guid being auctioned)  |
 * | UNCLAIMED → UNCLAIMED with a (new) placement error       | `placement_failed` (detail: the error)  |
 * | → CLAIMED / → RUNNING (another state or instance)        | `claimed` / `running`                   |
 * | placed → CRASHED, or → UNCLAIMED with a new crash count  | `crashed` (detail: crash_reason;        |
 * |   or reason (an immediate restart)                       | crash_count; restart_at when it waits)  |
 * | a SUSPECT / EVACUATING copy appears                      | `suspect` / `evacuating`                |
 * | a copy goes while another instance RUNS                  | `replaced` (detail: the new instance)   |
 * | a copy goes otherwise; every row goes (`removed`)        | `removed`                               |
 * | every row went and the index got a new row after it      | `retired` (the `removed` entry, renamed)|
 *
 * The journal keeps what the rows were, not why they changed, so a few causes read alike: a
 * retire and a scale-down followed by a scale-up are both `retired`; a stop reported by the cell
 * is `unclaimed`; a crash that resets the count (after a long run) to the count and reason the
 * row already had reads as `unclaimed`. A re-auction that changes no row (a retry) is no entry.
 * `restart_at` is computed under the LRP's crash policy as it is now, as the instance does.
 */
import type { ActualLRP } from '../models/actual-lrp.js';
import { nextRestartAt, type RestartSettings } from '../models/restart-policy.js';
import { msToNs } from '../models/time.js';
import type { PersistenceEngine } from '../runtime/persistence/engine.js';
import { applyEvent, noRows, placed, type ActualLrpEvent, type ActualLrpState } from './actual-lrp.rows.js';

export type TimelineKind =
  | 'unclaimed' | 'placement_failed' | 'claimed' | 'running' | 'crashed'
  | 'evacuating' | 'suspect' | 'replaced' | 'removed' | 'retired';

/** One step of an instance's life. */
export interface TimelineEntry {
  /** ns since the epoch: the row's `since` when it changed, else when the event was journaled */
  at: number;
  kind: TimelineKind;
  /** '' when the step concerns no placement (a crash leaves none) */
  instance_guid: string;
  cell_id: string;
  /** the placement error, the crash reason, what replaced a copy; '' otherwise */
  detail: string;
  /** `crashed` only: the count after this crash */
  crash_count?: number;
  /** `crashed` only, when the crash policy waits: when (ns) it restarts */
  restart_at?: number;
}

/** The default and largest `limit` of a timeline. */
export const TIMELINE_DEFAULT_LIMIT = 100;
export const TIMELINE_MAX_LIMIT = 1000;

const entry = (at: number, kind: TimelineKind, row: Pick<ActualLRP, 'instance_guid' | 'cell_id'>, detail = ''): TimelineEntry =>
  ({ at, kind, instance_guid: row.instance_guid, cell_id: row.cell_id, detail });

/** Whether two rows are the same instance (or both none). */
const sameInstance = (a: ActualLRP | undefined, b: ActualLRP | undefined) => a?.instance_guid === b?.instance_guid && a?.cell_id === b?.cell_id;

/**
 * The entries one journaled event makes, from the rows before and after it. `journaledAt` (ns)
 * dates what carries no `since` of its own; `settings` is the crash policy the instance follows.
 */
export function timelineStep(before: ActualLrpState, after: ActualLrpState, journaledAt: number, settings: RestartSettings): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const b = before.actual;
  const a = after.actual;
  // every model transition bumps the tag (a failure too, at the same `since` on a still clock)
  const changed = !!a && (!b || b.modification_tag.epoch !== a.modification_tag.epoch || b.modification_tag.index !== a.modification_tag.index);
  // a CLAIMED or RUNNING row changes without a new step (routable, its net info)
  const moved = changed && (!b || b.state !== a!.state || b.instance_guid !== a!.instance_guid);
  const at = changed ? a!.since : journaledAt;

  if (changed && placed(b) && (a!.state === 'CRASHED' || (a!.state === 'UNCLAIMED' && (a!.crash_count !== b.crash_count || a!.crash_reason !== b.crash_reason)))) {
    const crashed: TimelineEntry = { ...entry(at, 'crashed', b, a!.crash_reason), crash_count: a!.crash_count };
    const restartAt = a!.state === 'CRASHED' ? nextRestartAt(a!.crash_count, a!.since, settings) : undefined;
    if (restartAt !== undefined) crashed.restart_at = restartAt;
    out.push(crashed);
  }
  for (const which of ['suspect', 'evacuating'] as const) {
    const copy = after[which];
    if (copy && !sameInstance(before[which], copy)) out.push(entry(at, which, copy, which === 'suspect' ? 'its cell is gone' : 'its cell is draining'));
  }
  if (changed) {
    if (a!.state === 'UNCLAIMED') {
      out.push(a!.placement_error !== '' ? entry(at, 'placement_failed', { instance_guid: before.pending, cell_id: '' }, a!.placement_error)
        : entry(at, 'unclaimed', { instance_guid: after.pending, cell_id: '' }));
    } else if (moved && a!.state === 'CLAIMED') out.push(entry(at, 'claimed', a!));
    else if (moved && a!.state === 'RUNNING') out.push(entry(at, 'running', a!));
  }
  if (!a && b) out.push(entry(journaledAt, 'removed', b));
  for (const which of ['suspect', 'evacuating'] as const) {
    const copy = before[which];
    if (!copy || sameInstance(after[which], copy)) continue;
    // promoted back to ORDINARY: the ORDINARY row's entry says it
    if (a && sameInstance(a, copy)) continue;
    if (!a && b) continue; // every row went: one `removed`
    const replaced = a?.state === 'RUNNING';
    out.push(entry(at, replaced ? 'replaced' : 'removed', copy, replaced ? `replaced by ${a!.instance_guid}` : `${which} copy removed`));
  }
  return out;
}

/**
 * Reads the journal `key` from its first event, keeping the last `limit` entries (oldest
 * first): memory is bounded by `limit` whatever the journal's length, time by its length.
 */
export async function readInstanceTimeline(engine: PersistenceEngine, key: string, limit: number, settings: RestartSettings): Promise<TimelineEntry[]> {
  const ring: TimelineEntry[] = [];
  let start = 0; // index of the oldest entry once the ring is full
  let last: TimelineEntry | undefined;
  const push = (e: TimelineEntry) => {
    // rows made after every row went: the removal was a retire (or a scale-down then up)
    if (last?.kind === 'removed' && last.detail === '' && e.kind !== 'removed') last.kind = 'retired';
    last = e;
    if (ring.length < limit) ring.push(e);
    else {
      ring[start] = e;
      start = (start + 1) % limit;
    }
  };
  let state = noRows();
  for await (const event of engine.events(key, 0)) {
    if (event.isDeleted) continue;
    const next = applyEvent(state, event.data as ActualLrpEvent);
    for (const e of timelineStep(state, next, msToNs(event.createdAt), settings)) push(e);
    state = next;
  }
  return [...ring.slice(start), ...ring.slice(0, start)];
}
