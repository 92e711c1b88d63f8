/**
 * Validation of action trees (bbs:models/actions.go `Validate`): the `Action` schema
 * (`action-schema.ts`) through `schema-check.ts`, recursively. The error names the field by its
 * path: `action.serial.actions[1].run.user`.
 */
import type { Action } from './actions.js';
import type { Result } from '../base/errors.js';
import { checkSchema } from './schema-check.js';
import { validating } from './validation.js';

/** Validates one action tree; `path` names it in messages (`action`, `setup`, `monitor`). */
export function validateAction(value: unknown, path = 'action'): Result<Action> {
  return validating(() => {
    checkSchema('Action', value, { name: path, prefix: path });
    return value as Action;
  });
}
