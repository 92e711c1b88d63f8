/**
 * Time in the model layer. BBS stores `since`, `created_at`, `updated_at`, `first_completed_at`
 * and domain `expire_time` as nanoseconds since the epoch, so every model function that reads or
 * writes them takes `now` in nanoseconds too; settings stay in milliseconds, like the flags that
 * set them. A JS number holds an epoch in ns to within a few hundred ns, which is plenty for
 * backoffs measured in seconds.
 */

/** Nanoseconds since the Unix epoch. */
export type EpochNs = number;

export const NS_PER_MS = 1_000_000;

/** Milliseconds (a `Clock.now()` or a setting) as nanoseconds. */
export function msToNs(ms: number): number {
  return ms * NS_PER_MS;
}

/** Nanoseconds as whole milliseconds (rounded down). */
export function nsToMs(ns: number): number {
  return Math.floor(ns / NS_PER_MS);
}
