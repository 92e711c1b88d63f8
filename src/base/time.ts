/**
 * Milliseconds and nanoseconds. Clocks and settings count milliseconds; the API shows times as
 * nanoseconds since the epoch, as BBS stores them (the models' `since`, the actor views' times).
 * A JS number holds an epoch in ns to within a few hundred ns, plenty for what is measured here.
 */

export const NS_PER_MS = 1_000_000;

/** Milliseconds (a `Clock.now()` or a setting) as nanoseconds. */
export function msToNs(ms: number): number {
  return ms * NS_PER_MS;
}

/** Nanoseconds as whole milliseconds (rounded down). */
export function nsToMs(ns: number): number {
  return Math.floor(ns / NS_PER_MS);
}
