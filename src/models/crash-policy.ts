/**
 * A DesiredLRP's own crash policy (`crash_policy`): any of the node's restart settings
 * (`restart-policy.ts`, the `--immediate-restarts`, `--crash-backoff-ms`, `--crash-backoff-max-ms`,
 * `--max-restarts`, `--crash-reset-ms` flags) set for one LRP. Each field is optional and falls
 * back to the node's flag, so the stored LRP keeps only what the user gave and a node started
 * with other flags applies its own to the rest.
 *
 * | field              | setting             | range                  |
 * |--------------------|---------------------|------------------------|
 * | immediate_restarts | `immediateRestarts` | 0..100                 |
 * | backoff_ms         | `backoffMs`         | 0..2^31-1, ≤ max_backoff_ms when both are given |
 * | max_backoff_ms     | `maxBackoffMs`      | 0..2^31-1              |
 * | max_restarts       | `maxRestarts`       | 0..10000               |
 * | reset_after_ms     | `crashResetMs`      | 0..2^31-1              |
 *
 * Unknown keys are refused (a misspelt field would otherwise fall back to the node's flag
 * silently): the schema below is closed. A PATCH replaces the whole policy, as it does `routes`.
 */
import { integer, objectSchema, type JsonSchema } from './json-schema.js';
import type { RestartSettings } from './restart-policy.js';
import { reject, type IntRange } from './validation.js';

/** A DesiredLRP's `crash_policy`: each field overrides one of the node's restart settings. */
export interface CrashPolicy {
  immediate_restarts?: number;
  backoff_ms?: number;
  max_backoff_ms?: number;
  max_restarts?: number;
  reset_after_ms?: number;
}

/** The longest wait a policy may name: 2^31-1 ms (about 24.8 days), also the longest timer Node arms. */
export const MAX_CRASH_POLICY_MS = 2 ** 31 - 1;
/** More restarts without a wait than this is a restart storm, not a policy. */
export const MAX_IMMEDIATE_RESTARTS = 100;
/** Crashes before giving up: 50 times Diego's 200 is room enough. */
export const MAX_CRASH_RESTARTS = 10_000;

const MS_RANGE: IntRange = { min: 0, max: MAX_CRASH_POLICY_MS };

/** Each field, the restart setting it overrides, and its range. */
export const CRASH_POLICY_FIELDS: Readonly<Record<keyof CrashPolicy, { setting: keyof RestartSettings; range: IntRange }>> = Object.freeze({
  immediate_restarts: { setting: 'immediateRestarts', range: { min: 0, max: MAX_IMMEDIATE_RESTARTS } },
  backoff_ms: { setting: 'backoffMs', range: MS_RANGE },
  max_backoff_ms: { setting: 'maxBackoffMs', range: MS_RANGE },
  max_restarts: { setting: 'maxRestarts', range: { min: 0, max: MAX_CRASH_RESTARTS } },
  reset_after_ms: { setting: 'crashResetMs', range: MS_RANGE },
});

const KEYS = Object.keys(CRASH_POLICY_FIELDS) as (keyof CrashPolicy)[];

/**
 * The error for `path`'s `backoff_ms` when it exceeds its `max_backoff_ms` (the schema checks
 * each field; one against another is beyond JSON Schema).
 */
export function checkBackoffWithinCap(policy: CrashPolicy, path: string): void {
  if (policy.backoff_ms !== undefined && policy.max_backoff_ms !== undefined && policy.backoff_ms > policy.max_backoff_ms) {
    reject(`${path}.backoff_ms`, `must be at most max_backoff_ms (${policy.max_backoff_ms}), got ${policy.backoff_ms}`);
  }
}

/**
 * The settings one LRP's crashes follow: its `crash_policy` over the node's settings. What the
 * LRP gives is never cut by a flag it did not choose: a `backoff_ms` above the node's cap raises
 * the cap to it (a `max_backoff_ms` below the node's backoff caps it, as any cap does).
 */
export function restartSettingsFor(node: RestartSettings, policy: CrashPolicy | undefined): RestartSettings {
  if (policy === undefined) return node;
  const merged: RestartSettings = { ...node };
  for (const key of KEYS) {
    const value = policy[key];
    if (value !== undefined) merged[CRASH_POLICY_FIELDS[key].setting] = value;
  }
  if (policy.backoff_ms !== undefined && policy.max_backoff_ms === undefined) merged.maxBackoffMs = Math.max(merged.maxBackoffMs, policy.backoff_ms);
  return merged;
}

/** The `CrashPolicy` component of `/openapi.json` (request and stored LRPs alike). */
export const CRASH_POLICY_SCHEMA: JsonSchema = objectSchema({}, {
  immediate_restarts: integer(CRASH_POLICY_FIELDS.immediate_restarts.range, 'crashes restarted at once (--immediate-restarts)'),
  backoff_ms: integer(MS_RANGE, 'the first wait after the immediate restarts, doubling each crash (--crash-backoff-ms); at most max_backoff_ms when both are given (the server checks; JSON Schema cannot)'),
  max_backoff_ms: integer(MS_RANGE, 'the cap of the wait (--crash-backoff-max-ms)'),
  max_restarts: integer(CRASH_POLICY_FIELDS.max_restarts.range, 'from this crash count on the instance stays CRASHED; 0 = never restarted (--max-restarts)'),
  reset_after_ms: integer(MS_RANGE, 'RUNNING this long resets the crash count (--crash-reset-ms)'),
}, {
  nullable: true,
  closed: true,
  description: "a DesiredLRP's own crash policy: each field optional, falling back to the node's flag",
});
