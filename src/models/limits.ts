/**
 * The largest values the system can honour, one place for all of them (docs/030-api.md has the
 * table). A value past one of these once killed a node for good: `instances: 4294967296` made the
 * supervisor build an array that large; a 3,000-byte guid made a key LMDB refuses; a timer set to
 * more than 2^31-1 ms fires at once in Node. The validators and the JSON Schemas read them here.
 */
import type { IntRange } from './validation.js';

/** `process_guid`, `task_guid`: they become LMDB keys (`task/<guid>/<epoch>`; LMDB's limit is 1978 bytes). */
export const MAX_GUID_LENGTH = 128;

/** A domain name, in UTF-8 bytes (a DNS name's limit). */
export const MAX_DOMAIN_BYTES = 255;

/** A domain: no control character (CR, LF, NUL, ...), not only white space. */
export const DOMAIN_PATTERN = /^(?=[\s\S]*\S)[^\x00-\x1f\x7f]+$/;

/**
 * `instances` of one DesiredLRP unless the node says otherwise (`--max-instances`): Diego sets no
 * maximum of its own; 10,000 keeps one LRP at a tenth of what a control node was measured to
 * carry (100k instances, docs/020-control.md).
 */
export const DEFAULT_MAX_INSTANCES = 10_000;

/** The most `--max-instances` may allow: every instance is an actor and an LMDB row. */
export const MAX_INSTANCES_CEILING = 1_000_000;

/** Node fires a `setTimeout` longer than 2^31-1 ms at once: every ms value a timer gets stays below. */
export const MAX_TIMER_MS = 2_147_483_647;

/** `memory_mb`, `disk_mb`: 1 TiB. */
export const MAX_SIZE_MB = 1024 * 1024;

/** `max_pids`: Linux's own ceiling for `pid_max` (2^22). */
export const MAX_PIDS = 4_194_304;

/** `resource_limits.nofile`: Linux's default `fs.nr_open`, above which `ulimit -n` fails. */
export const MAX_NOFILE = 1_048_576;

/** `ttl` of a domain in seconds: BBS's `uint32`, about 136 years. */
export const MAX_DOMAIN_TTL_S = 4_294_967_295;

/** `ports` of a DesiredLRP: each one takes a host port on the cell. */
export const MAX_PORTS = 100;

/** `metric_tags`: all of them together, as JSON. */
export const MAX_METRIC_TAGS_BYTES = 16 * 1024;

/**
 * How deep JSON may nest: a request body, an actor message, and the opaque `routes`. Deep
 * enough for an action tree ten actions deep (each adds two or three levels).
 */
export const MAX_JSON_DEPTH = 32;

/** What the control side of one node allows beyond the fixed limits. */
export interface ModelLimits {
  /** `instances` of one DesiredLRP (`--max-instances`) */
  maxInstances: number;
}

export const DEFAULT_LIMITS: ModelLimits = Object.freeze({ maxInstances: DEFAULT_MAX_INSTANCES });

export const TIMER_MS: IntRange = { min: 0, max: MAX_TIMER_MS };
export const SIZE_MB: IntRange = { min: 0, max: MAX_SIZE_MB };
export const PIDS: IntRange = { min: 0, max: MAX_PIDS };
export const NOFILE: IntRange = { min: 0, max: MAX_NOFILE };
export const DOMAIN_TTL_S: IntRange = { min: 0, max: MAX_DOMAIN_TTL_S };

/** `instances` under `limits`. */
export function instancesRange(limits: ModelLimits): IntRange {
  return { min: 0, max: limits.maxInstances };
}
