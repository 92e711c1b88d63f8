/**
 * Diego's actions (bbs:models/actions.proto) with BBS's JSON field names: an Action is an object
 * with exactly one key naming its kind. Pure types and constructors; validation lives elsewhere,
 * and the executor's steps (src/executor/actions/) give them their meaning.
 *
 * `upload` is not here yet: nothing in Auctor runs it.
 */
import type { EnvVar } from './env-var.js';

export type { EnvVar } from './env-var.js';

export interface ResourceLimits {
  /** most open files the process may hold (`ulimit -n`) */
  nofile?: number;
}

/** Runs a process in the container; a non-zero exit fails the step. */
export interface RunAction {
  path: string;
  args?: string[];
  /** working directory inside the container */
  dir?: string;
  /** beats the container's env for the same name */
  env?: EnvVar[];
  user: string;
  resource_limits?: ResourceLimits;
  log_source?: string;
  /** drop the process's output (and its `Exit status` line) instead of streaming it */
  suppress_log_output?: boolean;
}

export type ChecksumAlgorithm = 'md5' | 'sha1' | 'sha256';

/** Fetches `from` (http, https or file URL) into `to`; a tar or tgz is extracted into `to`. */
export interface DownloadAction {
  from: string;
  to: string;
  /** when set, the step logs `Downloading <artifact>...` and `Downloaded <artifact> (<size>)` */
  artifact?: string;
  cache_key?: string;
  checksum_algorithm?: ChecksumAlgorithm;
  /** hex digest of the downloaded bytes */
  checksum_value?: string;
  user: string;
  log_source?: string;
}

/** Fails with `exceeded <d> timeout` when the inner action outlasts `timeout_ms`. */
export interface TimeoutAction {
  action: Action;
  timeout_ms: number;
  log_source?: string;
}

/** One after another; the first failure ends the step. */
export interface SerialAction {
  actions: Action[];
  log_source?: string;
}

/** All at once; waits for all of them. */
export interface ParallelAction {
  actions: Action[];
  log_source?: string;
}

/** All at once; the first to end, even cleanly, ends the others. */
export interface CodependentAction {
  actions: Action[];
  log_source?: string;
}

/** Runs the inner action and succeeds whatever it did. */
export interface TryAction {
  action: Action;
  log_source?: string;
}

/** Logs around the inner action. */
export interface EmitProgressAction {
  action: Action;
  start_message?: string;
  success_message?: string;
  /** on failure the step logs `<prefix>: <error>` */
  failure_message_prefix?: string;
  log_source?: string;
}

/** Each kind's body, by its JSON key. */
export interface ActionBodies {
  run: RunAction;
  download: DownloadAction;
  timeout: TimeoutAction;
  serial: SerialAction;
  parallel: ParallelAction;
  codependent: CodependentAction;
  try: TryAction;
  emit_progress: EmitProgressAction;
}

export type ActionKind = keyof ActionBodies;

export const ACTION_KINDS: readonly ActionKind[] = ['run', 'download', 'timeout', 'serial', 'parallel', 'codependent', 'try', 'emit_progress'];

/** The envelope for one kind: its key set, every other kind's key absent. */
export type ActionOf<K extends ActionKind> = { [P in K]: ActionBodies[P] } & { [P in Exclude<ActionKind, K>]?: never };

/** An action: exactly one of the kinds' keys. */
export type Action = { [K in ActionKind]: ActionOf<K> }[ActionKind];

/**
 * The action's kind: the first kind key it carries. Throws for an envelope with none, which
 * validation rejects before anything runs (bbs: `ErrInvalidField{"inner-action"}`).
 */
export function actionKind(action: Action): ActionKind {
  const record = action as Partial<ActionBodies>;
  for (const kind of ACTION_KINDS) if (record[kind] !== undefined && record[kind] !== null) return kind;
  throw new TypeError('invalid action: no inner action');
}

/** The action's body for `kind` (use with `actionKind`). */
export function actionBody<K extends ActionKind>(action: Action, kind: K): ActionBodies[K] {
  return (action as Partial<ActionBodies>)[kind] as ActionBodies[K];
}

type Source = { log_source?: string };

/** Constructors, so callers never hand-build envelopes. */
export const Actions = {
  run: (run: RunAction): ActionOf<'run'> => ({ run }),
  download: (download: DownloadAction): ActionOf<'download'> => ({ download }),
  timeout: (action: Action, timeout_ms: number, extra: Source = {}): ActionOf<'timeout'> => ({ timeout: { action, timeout_ms, ...extra } }),
  serial: (actions: Action[], extra: Source = {}): ActionOf<'serial'> => ({ serial: { actions, ...extra } }),
  parallel: (actions: Action[], extra: Source = {}): ActionOf<'parallel'> => ({ parallel: { actions, ...extra } }),
  codependent: (actions: Action[], extra: Source = {}): ActionOf<'codependent'> => ({ codependent: { actions, ...extra } }),
  try: (action: Action, extra: Source = {}): ActionOf<'try'> => ({ try: { action, ...extra } }),
  emitProgress: (action: Action, messages: Omit<EmitProgressAction, 'action'> = {}): ActionOf<'emit_progress'> => ({
    emit_progress: { action, ...messages },
  }),
};
