/**
 * ActualLRP: one instance (index) of a DesiredLRP as it is (bbs:models/actual_lrp.proto,
 * DIEGO.md 1.2), with BBS's JSON names, and the pure operations the BBS applies to it. `since`
 * and every `now` are nanoseconds (see time.ts). Each operation checks the transition table in
 * `transitions.ts` (legal moves are listed there) and returns the new row as data; none mutates.
 *
 * Stored shape: every field present; `instance_guid`, `cell_id`, `address`, `crash_reason`,
 * `placement_error` are `''` when unset and `ports` is `[]`, so a row's JSON is stable.
 *
 * Per-state invariants (`ActualLRP.Validate`), checked by `validateActualLrp`:
 * | state     | instance key | net info | placement_error | presence     |
 * |-----------|--------------|----------|-----------------|--------------|
 * | UNCLAIMED | none         | none     | allowed         | ORDINARY     |
 * | CLAIMED   | required     | none     | none            | any          |
 * | RUNNING   | required     | required | none            | any          |
 * | CRASHED   | none         | none     | none            | any          |
 */
import { AuctorError, failed, ok, passed, type Check, type Result } from '../base/errors.js';
import { incrementModificationTag, type ModificationTag } from './modification-tag.js';
import { truncateReason } from './text.js';
import { checkActualLrpTransition, isEmptyInstanceKey } from './transitions.js';

export type ActualLrpState = 'UNCLAIMED' | 'CLAIMED' | 'RUNNING' | 'CRASHED';
export type ActualLrpPresence = 'ORDINARY' | 'EVACUATING' | 'SUSPECT';

export const ACTUAL_LRP_STATES: readonly ActualLrpState[] = ['UNCLAIMED', 'CLAIMED', 'RUNNING', 'CRASHED'];

/** Which instance of which LRP: identity of a row (with `presence`). */
export interface ActualLrpKey {
  process_guid: string;
  index: number;
  domain: string;
}

/** Which placement: a new `instance_guid` on every (re)placement. */
export interface ActualLrpInstanceKey {
  instance_guid: string;
  cell_id: string;
}

/** A container port and where the cell exposes it. */
export interface ActualLrpPortMapping {
  container_port: number;
  host_port: number;
}

/** Where a RUNNING instance is reachable. */
export interface ActualLrpNetInfo {
  /** host address */
  address: string;
  ports: ActualLrpPortMapping[];
  /** container address, when it has its own */
  instance_address?: string;
}

/** A stored ActualLRP row. */
export interface ActualLRP extends ActualLrpKey, ActualLrpInstanceKey, ActualLrpNetInfo {
  state: ActualLrpState;
  crash_count: number;
  crash_reason: string;
  placement_error: string;
  /** ns since the epoch of the last state change */
  since: number;
  modification_tag: ModificationTag;
  presence: ActualLrpPresence;
  /** false until readiness checks pass; absent when the LRP has none */
  routable?: boolean;
  /** the cell's zone */
  availability_zone?: string;
}

/** `process_guid/index`: a map key for one index (all presences). */
export function lrpIndexKey(key: Pick<ActualLrpKey, 'process_guid' | 'index'>): string {
  return `${key.process_guid}/${key.index}`;
}

/** The row's placement. */
export function instanceKeyOf(actual: ActualLrpInstanceKey): ActualLrpInstanceKey {
  return { instance_guid: actual.instance_guid, cell_id: actual.cell_id };
}

/** A new UNCLAIMED ORDINARY row (desire, scale-up, convergence of a missing index). */
export function newUnclaimedActualLrp(key: ActualLrpKey, now: number, tag: ModificationTag): ActualLRP {
  return {
    process_guid: key.process_guid,
    index: key.index,
    domain: key.domain,
    instance_guid: '',
    cell_id: '',
    address: '',
    ports: [],
    state: 'UNCLAIMED',
    crash_count: 0,
    crash_reason: '',
    placement_error: '',
    since: now,
    modification_tag: tag,
    presence: 'ORDINARY',
  };
}

/** `actual` changed by `changes`, with the modification index bumped. */
function changed(actual: ActualLRP, changes: Partial<ActualLRP>): ActualLRP {
  return { ...actual, ...changes, modification_tag: incrementModificationTag(actual.modification_tag) };
}

/** Clears the placement: no instance key, no net info, not routable. */
function unplaced(actual: ActualLRP): ActualLRP {
  const { routable: _routable, instance_address: _address, ...rest } = actual;
  return { ...rest, instance_guid: '', cell_id: '', address: '', ports: [] };
}

/**
 * A cell claims the instance (UNCLAIMED→CLAIMED, or CLAIMED again by the same key: unchanged).
 * Clears `placement_error`.
 */
export function claimActualLrp(actual: ActualLRP, key: ActualLrpInstanceKey, now: number): Result<ActualLRP> {
  const check = checkActualLrpTransition(actual, 'CLAIMED', key);
  if (!check.ok) return check;
  if (actual.state === 'CLAIMED') return ok(actual);
  return ok(changed(unplaced(actual), { ...instanceKeyOf(key), state: 'CLAIMED', placement_error: '', since: now }));
}

/**
 * The instance is up (→RUNNING) with its net info; a repeat by the same key with the same net
 * info leaves the row unchanged.
 */
export function startActualLrp(actual: ActualLRP, key: ActualLrpInstanceKey, net: ActualLrpNetInfo, now: number, extra: { routable?: boolean; availability_zone?: string } = {}): Result<ActualLRP> {
  const check = checkActualLrpTransition(actual, 'RUNNING', key);
  if (!check.ok) return check;
  if (isEmptyInstanceKey(key)) return { ok: false, error: new AuctorError('InvalidRequest', 'invalid field: actual_lrp_instance_key') };
  if (actual.state === 'RUNNING' && actual.address === net.address && JSON.stringify(actual.ports) === JSON.stringify(net.ports)) return ok(actual);
  return ok(changed(unplaced(actual), {
    ...instanceKeyOf(key),
    address: net.address,
    ports: net.ports.map((p) => ({ ...p })),
    ...(net.instance_address !== undefined ? { instance_address: net.instance_address } : {}),
    ...extra,
    state: 'RUNNING',
    placement_error: '',
    since: now,
  }));
}

/** The auction could not place it: stays UNCLAIMED with `placement_error` (1024 bytes max), `since` bumped. */
export function failActualLrp(actual: ActualLRP, placementError: string, now: number): Result<ActualLRP> {
  if (actual.state !== 'UNCLAIMED') return { ok: false, error: new AuctorError('InvalidStateTransition', `cannot fail actual lrp in state ${actual.state}`) };
  return ok(changed(actual, { placement_error: truncateReason(placementError), since: now }));
}

/**
 * Back to UNCLAIMED for a new placement (a due CRASHED restart, a replacement whose cell
 * vanished, evacuation of a claimed instance). Keeps `crash_count` and `crash_reason`.
 */
export function unclaimActualLrp(actual: ActualLRP, now: number): Result<ActualLRP> {
  const check = checkActualLrpTransition(actual, 'UNCLAIMED');
  if (!check.ok) return check;
  return ok(changed(unplaced(actual), { state: 'UNCLAIMED', placement_error: '', presence: 'ORDINARY', since: now }));
}

/** Marks a CLAIMED/RUNNING row whose cell is gone SUSPECT (it stays routable meanwhile). */
export function markSuspect(actual: ActualLRP): Result<ActualLRP> {
  if (actual.presence !== 'ORDINARY' || (actual.state !== 'CLAIMED' && actual.state !== 'RUNNING')) {
    return { ok: false, error: new AuctorError('InvalidStateTransition', `cannot mark actual lrp suspect in state ${actual.state} (${actual.presence})`) };
  }
  return ok(changed(actual, { presence: 'SUSPECT' }));
}

/** A SUSPECT row whose cell came back becomes ORDINARY again. */
export function promoteSuspect(actual: ActualLRP): Result<ActualLRP> {
  if (actual.presence !== 'SUSPECT') return { ok: false, error: new AuctorError('InvalidStateTransition', `cannot promote actual lrp with presence ${actual.presence}`) };
  return ok(changed(actual, { presence: 'ORDINARY' }));
}

/** The EVACUATING copy of a RUNNING row that a draining cell keeps serving while a replacement starts. */
export function evacuatingCopy(actual: ActualLRP): Result<ActualLRP> {
  if (actual.state !== 'RUNNING' || actual.presence !== 'ORDINARY') {
    return { ok: false, error: new AuctorError('InvalidStateTransition', `cannot evacuate actual lrp in state ${actual.state} (${actual.presence})`) };
  }
  return ok(changed(actual, { presence: 'EVACUATING' }));
}

/** BBS `ActualLRP.Validate`: the per-state invariants in the header table. */
export function validateActualLrp(actual: ActualLRP): Check {
  const bad = (reason: string) => failed(new AuctorError('InvalidRequest', `invalid actual lrp ${lrpIndexKey(actual)}: ${reason}`));
  if (!actual.since) return bad('since must be set');
  const hasKey = !isEmptyInstanceKey(actual);
  const hasNet = actual.address !== '' || actual.ports.length > 0;
  switch (actual.state) {
    case 'UNCLAIMED':
      if (hasKey) return bad('UNCLAIMED has an instance key');
      if (hasNet) return bad('UNCLAIMED has net info');
      if (actual.presence !== 'ORDINARY') return bad('UNCLAIMED must be ORDINARY');
      return passed;
    case 'CLAIMED':
      if (!hasKey) return bad('CLAIMED needs an instance key');
      if (hasNet) return bad('CLAIMED has net info');
      break;
    case 'RUNNING':
      if (!hasKey) return bad('RUNNING needs an instance key');
      if (actual.address === '') return bad('RUNNING needs net info');
      break;
    case 'CRASHED':
      if (hasKey) return bad('CRASHED has an instance key');
      if (hasNet) return bad('CRASHED has net info');
      break;
  }
  return actual.placement_error ? bad(`${actual.state} has a placement error`) : passed;
}
