/**
 * The legacy `monitor` action as a health check: each check runs the action in the container;
 * it passes when the action succeeds (a run exits 0) and fails with the action's error.
 */
import type { Action } from '../../models/actions.js';
import { runAction, type StepContext } from '../actions/index.js';
import { failed, ok, type HealthCheck } from './checks.js';

export function monitorActionCheck(action: Action, ctx: StepContext): HealthCheck {
  return async (signal) => {
    const result = await runAction(action, ctx, signal);
    return result.ok ? ok : failed(result.error);
  };
}
