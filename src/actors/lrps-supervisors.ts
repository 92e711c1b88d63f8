/**
 * `lrps`' supervisors as virtual children (docs/020 "Supervisors are virtual children"): their
 * declaration, the index kept in step with the registry, and which of them `lrps` activates
 * (after a start; when cells appear), read from the query index so that the others stay passive.
 */
import type { Logger } from '../base/logger.js';
import type { AnyRef, Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem, CrashPolicy } from '../runtime/kernel/system.js';
import type { VirtualChildren } from '../runtime/kernel/virtual.js';
import type { AuctioneerMsg } from './auctioneer.protocol.js';
import type { ControlDeps } from './control-deps.js';
import { lrpSupervisorSpec, supervisorIsIdle } from './lrp-supervisor.js';
import type { LrpSupervisorEvent, LrpSupervisorState } from './lrp-supervisor.journal.js';
import type { LrpSupervisorMsg } from './lrp-supervisor.protocol.js';
import type { QueryIndex, UnreadableKind } from './query-index.js';
import type { SupervisorStart } from './lrps.desire.js';

export type Supervisors = VirtualChildren<LrpSupervisorState, LrpSupervisorMsg, LrpSupervisorEvent>;

/**
 * Declares the supervisors of `lrps` (`self`); `epochOf(guid)` names the journal of each (from
 * the registry), `startOf(guid)` what a new LRP's supervisor starts from (lrps.desire.ts). A supervisor activated for a message to one of its instances (a durable restart
 * timer) is sent `lrp/wake`, which makes it declare them.
 */
export function declareSupervisors(
  system: ActorSystem, self: AnyRef, deps: ControlDeps, auctioneer: Ref<AuctioneerMsg>,
  epochOf: (guid: string) => string | undefined, onCrash: CrashPolicy,
  startOf: (guid: string) => SupervisorStart | undefined = () => undefined,
): Supervisors {
  return system.spawnVirtualKind<LrpSupervisorState, LrpSupervisorMsg, LrpSupervisorEvent>(self, {
    kind: 'lrp-supervisor',
    idleAfterMs: deps.settings.supervisorIdleMs,
    isIdle: supervisorIsIdle,
    // its instances' spec needs its DesiredLRP: it declares them on its first message
    declaresChildrenLater: { wake: () => ({ type: 'lrp/wake' }) },
    spec: (guid) => {
      const epoch = epochOf(guid);
      // not in the registry (removed meanwhile): the kernel treats the path as no actor
      if (epoch === undefined) throw new Error(`lrp-supervisor ${guid}: not in the registry`);
      return lrpSupervisorSpec(system, deps, auctioneer, guid, epoch, onCrash, startOf(guid));
    },
  });
}

/**
 * Brings the supervisors' index in step with the registry after a crash between the two writes
 * (a desire, a removal), or for a store written before supervisors were virtual. Walks both only
 * when their counts differ.
 */
export function reconcileSupervisors(supervisors: Supervisors, lrps: Record<string, string>, count: number, log: Logger): void {
  if (supervisors.counts().total === count) return;
  const failed = (error: unknown) => log.error({ error: String(error) }, 'lrps.supervisor-index-failed');
  let added = 0;
  for (const guid of Object.keys(lrps)) {
    if (supervisors.has(guid)) continue;
    supervisors.add(guid).catch(failed);
    added++;
  }
  let removed = 0;
  for (let after: string | undefined, page = supervisors.list({ limit: 1000 }); page.length > 0; page = supervisors.list({ after, limit: 1000 })) {
    for (const { name } of page) {
      if (Object.hasOwn(lrps, name)) continue;
      supervisors.remove(name).catch(failed);
      removed++;
    }
    after = page[page.length - 1]!.name;
  }
  log.info({ added, removed }, 'lrps.supervisor-index-reconciled');
}

/**
 * After a start, sends `lrp/recover` to the supervisors of the LRPs among `epochs` (guid → epoch,
 * the registry as recovered) with work to resume (`lrpsToResume`), unless quarantined or no
 * longer the same LRP (`current`: the registry now) by then.
 */
export function resumeSupervisors(
  system: ActorSystem, supervisors: Supervisors, lrpsPath: string, queries: QueryIndex | undefined,
  epochs: Record<string, string>, current: () => Record<string, string>, log: Logger,
): void {
  const guids = Object.keys(epochs);
  if (guids.length === 0) return;
  void lrpsToResume(queries, guids).then((resume) => {
    const held = system.registry.quarantinedChildren(lrpsPath);
    const now = current();
    for (const guid of resume) if (!held.has(guid) && Object.hasOwn(now, guid) && now[guid] === epochs[guid]) system.dispatch(supervisors.ref(guid), { type: 'lrp/recover' });
    log.info({ lrps: guids.length, resumed: resume.length }, 'lrps.resumed');
  });
}

/**
 * After a start, the LRPs among `guids` whose supervisor has work to resume: an instance with
 * no ORDINARY row, UNCLAIMED or CRASHED (lrp-supervisor.instances.ts `indicesToResume`), rows
 * above `instances` to trim, no DesiredLRP (deleted, or never stored: it is forgotten), or
 * records the index could not read. Every one when there is no index, or its rebuild failed.
 */
export async function lrpsToResume(queries: QueryIndex | undefined, guids: readonly string[]): Promise<string[]> {
  if (!queries || !(await queries.ready.then(() => true, () => false))) return [...guids];
  return guids.filter((guid) => {
    if (queries.unreadable.lrp.has(guid) || queries.unreadable.instances.has(guid) || queries.rowsToTrim.has(guid)) return true;
    const desired = queries.desiredLrp(guid);
    if (!desired) return true;
    const settled = new Set<number>();
    for (const a of queries.actualLrps({ process_guid: guid })) {
      if (a.presence === 'ORDINARY' && (a.state === 'RUNNING' || a.state === 'CLAIMED')) settled.add(a.index);
    }
    return settled.size < desired.instances;
  });
}

/**
 * `lrp/cell-back` for the LRPs whose instances the cells `cellIds` appearing concern
 * (actual-lrp.copies.ts `cellBack`), from one scan of the query index: a SUSPECT copy on one of
 * those cells, or an UNCLAIMED row (its auction failed, or is under way and may fail for want of
 * these cells; the index may not show a failure just decided), by index. An LRP the index could not
 * read gets it without indices (its supervisor tells its active instances); so does every one
 * (`every`) without an index or when its rebuild failed.
 */
export async function cellBackMessages(queries: QueryIndex | undefined, cellIds: string[], every: () => string[]): Promise<Array<[string, LrpSupervisorMsg]>> {
  const toAll = (guids: Iterable<string>) => [...guids].map((guid): [string, LrpSupervisorMsg] => [guid, { type: 'lrp/cell-back', cell_ids: cellIds }]);
  if (!queries || !(await queries.ready.then(() => true, () => false))) return toAll(every());
  const cells = new Set(cellIds);
  const byGuid = new Map<string, number[]>();
  for (const a of queries.actualLrps()) {
    const concerned = (a.presence === 'SUSPECT' && cells.has(a.cell_id)) || (a.presence === 'ORDINARY' && a.state === 'UNCLAIMED');
    if (!concerned) continue;
    const indices = byGuid.get(a.process_guid) ?? [];
    if (!indices.includes(a.index)) indices.push(a.index);
    byGuid.set(a.process_guid, indices);
  }
  const unreadable = new Set([...queries.unreadable.lrp, ...queries.unreadable.instances]);
  const messages = [...byGuid].filter(([guid]) => !unreadable.has(guid)).map(([guid, indices]): [string, LrpSupervisorMsg] => [guid, { type: 'lrp/cell-back', cell_ids: cellIds, indices }]);
  return [...messages, ...toAll(unreadable)];
}

/** A cells-back drain (`drainCellsBack`) tells this many LRPs, then pauses this long: at most 2,000 LRPs a second. */
export const CELLS_BACK_STEP = { lrps: 500, pauseMs: 250 };

/**
 * Hands `lrp/cell-back` messages to the supervisors a step at a time (`send` checks that each
 * LRP still has one). Every failed placement is auctioned again when cells appear, so one
 * broadcast to 60k LRPs was 60k auctions at once; at 250k instances on a loaded machine each
 * such wave made the control node stall for seconds, its cells' nodes flap, and the next wave
 * follow. The caller starts no other drain before this one ends (lrps.ts `lrps/cells-back`).
 */
export async function drainCellsBack(
  messages: ReadonlyArray<[string, LrpSupervisorMsg]>, send: (guid: string, msg: LrpSupervisorMsg) => void,
  sleep: (ms: number) => Promise<void>, step = CELLS_BACK_STEP,
): Promise<void> {
  for (let from = 0; from < messages.length; from += step.lrps) {
    if (from > 0) await sleep(step.pauseMs);
    for (const [guid, msg] of messages.slice(from, from + step.lrps)) send(guid, msg);
  }
}

/**
 * What `lrps/list`, and `lrps/actuals` of every LRP, answer (the actor API; the gateway reads
 * the index itself): the query index's rows (`fromIndex`, given the guids it could not read), plus
 * `ask` of each LRP it could not read (`kinds`); `ask` of every one (`every`) without an index or
 * when its rebuild failed. So no supervisor is woken for a listing.
 */
export async function listed<T>(
  queries: QueryIndex | undefined, kinds: readonly UnreadableKind[], fromIndex: (index: QueryIndex, unread: ReadonlySet<string>) => T[],
  every: () => string[], ask: (guid: string) => Promise<T[]>,
): Promise<T[]> {
  if (!queries || !(await queries.ready.then(() => true, () => false))) return (await Promise.all(every().map(ask))).flat();
  const unread = new Set(kinds.flatMap((kind) => [...queries.unreadable[kind]]));
  return [...fromIndex(queries, unread), ...(await Promise.all([...unread].map(ask))).flat()];
}
