/**
 * Time in the model layer. BBS stores `since`, `created_at`, `updated_at`, `first_completed_at`
 * and domain `expire_time` as nanoseconds since the epoch, so every model function that reads or
 * writes them takes `now` in nanoseconds too; settings stay in milliseconds, like the flags that
 * set them. The conversions are the base's (../base/time.ts).
 */
export { NS_PER_MS, msToNs, nsToMs } from '../base/time.js';

/** Nanoseconds since the Unix epoch. */
export type EpochNs = number;
