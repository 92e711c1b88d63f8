/**
 * Validation of action trees (bbs:models/actions.go `Validate`), recursively:
 *
 * | kind | rules |
 * |---|---|
 * | envelope | an object with exactly one key, a known kind |
 * | `run` | `path`, `user` required; `args` strings; `env` entries named; `resource_limits.nofile` 0..1048576 |
 * | `download` | `from`, `to`, `user` required; `checksum_algorithm` md5/sha1/sha256 and `checksum_value` together |
 * | `timeout` | `action` valid; `timeout_ms` 1..2^31-1 |
 * | `serial`, `parallel`, `codependent` | `actions` a non-empty list of valid actions |
 * | `try`, `emit_progress` | `action` valid |
 *
 * The error names the field by its path: `action.serial.actions[1].run.user`.
 */
import { ACTION_KINDS, type Action, type ActionKind } from './actions.js';
import type { Result } from '../base/errors.js';
import { MAX_TIMER_MS, NOFILE } from './limits.js';
import { Fields, asRecord, checkEnv, reject, validating } from './validation.js';

const KINDS: ReadonlySet<string> = new Set(ACTION_KINDS);
/** `timeout.timeout_ms`: at least 1, and a timer's most. */
export const TIMEOUT_ACTION_MS = { min: 1, max: MAX_TIMER_MS };
export const CHECKSUM_ALGORITHMS: ReadonlySet<string> = new Set(['md5', 'sha1', 'sha256']);

/** Validates one action tree; `path` names it in messages (`action`, `setup`, `monitor`). */
export function validateAction(value: unknown, path = 'action'): Result<Action> {
  return validating(() => checkAction(value, path));
}

/** As `validateAction`, but throws the `InvalidRequest` error (for use inside `validating`). */
export function checkAction(value: unknown, path: string): Action {
  const envelope = asRecord(value, path);
  const keys = Object.keys(envelope).filter((key) => envelope[key] !== undefined && envelope[key] !== null);
  if (keys.length !== 1) reject(path, 'must have exactly one action key');
  const kind = keys[0]!;
  if (!KINDS.has(kind)) reject(join(path, kind), 'unknown action');
  const body = new Fields(asRecord(envelope[kind], join(path, kind)), join(path, kind));
  checkBody(kind as ActionKind, body);
  return envelope as Action;
}

function join(path: string, key: string): string {
  return `${path}.${key}`;
}

function checkBody(kind: ActionKind, body: Fields): void {
  body.string('log_source');
  switch (kind) {
    case 'run':
      body.requiredString('path');
      body.requiredString('user');
      body.stringArray('args');
      body.string('dir');
      if (body.has('env')) checkEnv(body.record['env'], body.path('env'));
      if (body.has('resource_limits')) new Fields(body.object('resource_limits')!, body.path('resource_limits')).int('nofile', NOFILE);
      body.bool('suppress_log_output');
      return;
    case 'download': {
      body.requiredString('from');
      body.requiredString('to');
      body.requiredString('user');
      body.string('artifact');
      body.string('cache_key');
      const algorithm = body.string('checksum_algorithm') ?? '';
      const digest = body.string('checksum_value') ?? '';
      if (algorithm !== '' || digest !== '') {
        if (algorithm === '') reject(body.path('checksum_algorithm'), 'required with checksum_value');
        if (!CHECKSUM_ALGORITHMS.has(algorithm)) reject(body.path('checksum_algorithm'), 'must be md5, sha1 or sha256');
        if (digest === '') reject(body.path('checksum_value'), 'required with checksum_algorithm');
      }
      return;
    }
    case 'timeout':
      requiredAction(body, 'action');
      body.requiredInt('timeout_ms', TIMEOUT_ACTION_MS);
      return;
    case 'serial':
    case 'parallel':
    case 'codependent': {
      const actions = body.array('actions');
      if (actions === undefined || actions.length === 0) reject(body.path('actions'), 'must not be empty');
      actions.forEach((action, i) => checkAction(action, `${body.path('actions')}[${i}]`));
      return;
    }
    case 'try':
      requiredAction(body, 'action');
      return;
    case 'emit_progress':
      requiredAction(body, 'action');
      body.string('start_message');
      body.string('success_message');
      body.string('failure_message_prefix');
      return;
  }
}

function requiredAction(body: Fields, key: string): void {
  if (!body.has(key)) reject(body.path(key));
  checkAction(body.record[key], body.path(key));
}
