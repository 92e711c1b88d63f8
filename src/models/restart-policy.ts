/**
 * Diego's crash restart policy (bbs:models/restart_calculator.go, bbs:db/sqldb/actual_lrp_db.go
 * `CrashActualLRP`; DIEGO.md 3.2), with every constant a setting. Times: `since`/`now` in ns,
 * settings in ms.
 *
 * With the defaults, for an app that crashes at once (crash_count after each crash):
 *
 * | crash_count | state after crash     | wait before the next start |
 * |-------------|-----------------------|----------------------------|
 * | 1, 2        | UNCLAIMED (immediate) | 0                          |
 * | 3           | CRASHED               | 30 s                       |
 * | 4, 5, 6, 7  | CRASHED               | 60, 120, 240, 480 s        |
 * | 8 … 199     | CRASHED               | 960 s (the cap)            |
 * | ≥ 200       | CRASHED               | never                      |
 *
 * `maxRestarts` comes first: from that crash count on the instance stays CRASHED even when the
 * count is still below `immediateRestarts` (so `maxRestarts: 0` or `1` never restarts; Diego checks
 * the immediate restarts first, which makes no difference with its constants).
 *
 * A crash after more than `crashResetMs` RUNNING counts as crash 1 again. The crash transition
 * itself (CLAIMED/RUNNING → CRASHED, same instance key) is checked against `transitions.ts`.
 */
import { backoffMs } from '../base/backoff.js';
import { ok, type Result } from '../base/errors.js';
import { incrementModificationTag } from './modification-tag.js';
import type { ActualLRP, ActualLrpInstanceKey } from './actual-lrp.js';
import { truncateReason } from './text.js';
import { msToNs } from './time.js';
import { checkActualLrpTransition } from './transitions.js';

export interface RestartSettings {
  /** crash counts below this restart at once (`--immediate-restarts`) */
  immediateRestarts: number;
  /** first backoff (`--crash-backoff-ms`) */
  backoffMs: number;
  /** backoff cap (`--crash-backoff-max-ms`) */
  maxBackoffMs: number;
  /** from this crash count on, never restart (`--max-restarts`) */
  maxRestarts: number;
  /** RUNNING longer than this resets the crash count (`--crash-reset-ms`) */
  crashResetMs: number;
}

/** Diego's constants. */
export const DEFAULT_RESTART_SETTINGS: Readonly<RestartSettings> = Object.freeze({
  immediateRestarts: 3,
  backoffMs: 30_000,
  maxBackoffMs: 960_000,
  maxRestarts: 200,
  crashResetMs: 300_000,
});

/** The command-line flag of each setting. */
export const RESTART_SETTING_FLAGS: Readonly<Record<keyof RestartSettings, string>> = Object.freeze({
  immediateRestarts: '--immediate-restarts',
  backoffMs: '--crash-backoff-ms',
  maxBackoffMs: '--crash-backoff-max-ms',
  maxRestarts: '--max-restarts',
  crashResetMs: '--crash-reset-ms',
});

/** Defaults with `overrides` applied. */
export function restartSettings(overrides: Partial<RestartSettings> = {}): RestartSettings {
  return { ...DEFAULT_RESTART_SETTINGS, ...overrides };
}

/** The crash count a crash reported at `now` gives `actual`: 1 after a long enough run, else one more. */
export function crashCountAfterCrash(actual: Pick<ActualLRP, 'state' | 'since' | 'crash_count'>, now: number, settings: RestartSettings = DEFAULT_RESTART_SETTINGS): number {
  const ranLongEnough = actual.state === 'RUNNING' && now - actual.since > msToNs(settings.crashResetMs);
  return ranLongEnough ? 1 : actual.crash_count + 1;
}

/** Whether an instance with this crash count goes straight back to the auction. */
export function shouldRestartImmediately(crashCount: number, settings: RestartSettings = DEFAULT_RESTART_SETTINGS): boolean {
  return crashCount < settings.immediateRestarts && crashCount < settings.maxRestarts;
}

/**
 * The wait before restarting at `crashCount`: `undefined` once `maxRestarts` is reached, else 0
 * while immediate, else `backoffMs × 2^(count − first)` capped at `maxBackoffMs` (base/backoff.ts),
 * where `first` is the first crash count that waits (`immediateRestarts`, or 1 when that is 0:
 * Diego's `count − immediateRestarts` would make the first wait of `immediateRestarts: 0` twice
 * `backoffMs`).
 * (BBS also stops the exponent at ⌊log2 ⌈max/base⌉⌋, so a cap that is not a power-of-two
 * multiple of the base is never reached there; here the cap is always reached. Same numbers
 * with the defaults, 30 s and 16 min.)
 */
export function restartBackoffMs(crashCount: number, settings: RestartSettings = DEFAULT_RESTART_SETTINGS): number | undefined {
  if (crashCount >= settings.maxRestarts) return undefined;
  if (crashCount < settings.immediateRestarts) return 0;
  const first = Math.max(settings.immediateRestarts, 1);
  return backoffMs(Math.max(0, crashCount - first), { initialMs: settings.backoffMs, maxMs: settings.maxBackoffMs });
}

/** When (ns) an instance that crashed at `since` with `crashCount` may restart; `undefined` = never. */
export function nextRestartAt(crashCount: number, since: number, settings: RestartSettings = DEFAULT_RESTART_SETTINGS): number | undefined {
  const backoff = restartBackoffMs(crashCount, settings);
  return backoff === undefined ? undefined : since + msToNs(backoff);
}

/** BBS `ShouldRestart`: whether a CRASHED instance is due at `now`. */
export function shouldRestartCrashed(actual: Pick<ActualLRP, 'since' | 'crash_count'>, now: number, settings: RestartSettings = DEFAULT_RESTART_SETTINGS): boolean {
  const at = nextRestartAt(actual.crash_count, actual.since, settings);
  return at !== undefined && at <= now;
}

/** What a crash does to a row. */
export type CrashOutcome =
  /** immediate restart: the row is UNCLAIMED and must be auctioned now */
  | { outcome: 'restart'; actual: ActualLRP; auctionNow: true; crashCount: number }
  /** backoff (or given up when `restartAt` is undefined): the row is CRASHED */
  | { outcome: 'crashed'; actual: ActualLRP; auctionNow: false; crashCount: number; restartAt: number | undefined }
  /** a SUSPECT or EVACUATING copy crashed: delete that row (the ordinary one carries on) */
  | { outcome: 'remove'; actual: ActualLRP; auctionNow: false };

/**
 * Applies a crash reported at `now` (BBS `CrashActualLRP`). The row must be CLAIMED or RUNNING,
 * and `reported` (the crashing container's instance key; default the stored one) must match,
 * else `InvalidStateTransition`. The new row has no instance key or net info, the new crash
 * count, `crash_reason` cut to 1024 bytes, `since = now`, modification index + 1; it is
 * UNCLAIMED when the restart is immediate, else CRASHED.
 */
export function applyCrash(
  actual: ActualLRP,
  reason: string,
  now: number,
  settings: RestartSettings = DEFAULT_RESTART_SETTINGS,
  reported: ActualLrpInstanceKey = actual,
): Result<CrashOutcome> {
  const check = checkActualLrpTransition(actual, 'CRASHED', reported);
  if (!check.ok) return check;
  if (actual.presence !== 'ORDINARY') return ok({ outcome: 'remove', actual, auctionNow: false });
  const crashCount = crashCountAfterCrash(actual, now, settings);
  const { routable: _routable, instance_address: _address, ...rest } = actual;
  const immediate = shouldRestartImmediately(crashCount, settings);
  const after: ActualLRP = {
    ...rest,
    instance_guid: '',
    cell_id: '',
    address: '',
    ports: [],
    state: immediate ? 'UNCLAIMED' : 'CRASHED',
    crash_count: crashCount,
    crash_reason: truncateReason(reason),
    placement_error: '',
    since: now,
    modification_tag: incrementModificationTag(actual.modification_tag),
  };
  return immediate
    ? ok({ outcome: 'restart', actual: after, auctionNow: true, crashCount })
    : ok({ outcome: 'crashed', actual: after, auctionNow: false, crashCount, restartAt: nextRestartAt(crashCount, now, settings) });
}
