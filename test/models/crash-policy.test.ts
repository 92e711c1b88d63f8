/** A DesiredLRP's `crash_policy`: validation (each bad field named), storage as given, PATCH, and the merge over the node's settings. */
import { expect } from 'chai';
import { CRASH_POLICY_FIELDS, restartSettingsFor, type CrashPolicy } from '../../src/models/crash-policy.js';
import { applyDesiredLrpUpdate, desireLrp, validateDesiredLrp, validateDesiredLrpUpdate } from '../../src/models/desired-lrp.js';
import { DEFAULT_RESTART_SETTINGS, restartSettings, type RestartSettings } from '../../src/models/restart-policy.js';
import { TAG, buildDesiredLrp, desiredLrpRequest, messageOf } from './builders.js';

const MAX_MS = 2 ** 31 - 1;
const create = (crash_policy: unknown) => messageOf(validateDesiredLrp(desiredLrpRequest({ crash_policy })));
const patch = (crash_policy: unknown) => messageOf(validateDesiredLrpUpdate({ crash_policy }));

describe('crash_policy', () => {
  describe('validation names the bad field, on create and on PATCH alike', () => {
    const table: [string, unknown, string][] = [
      ['all five fields', { immediate_restarts: 2, backoff_ms: 1000, max_backoff_ms: 4000, max_restarts: 3, reset_after_ms: 60_000 }, 'ok'],
      ['empty: the node\'s flags', {}, 'ok'],
      ['null fields count as absent', { backoff_ms: null, max_restarts: 0 }, 'ok'],
      ['zeros', { immediate_restarts: 0, backoff_ms: 0, max_backoff_ms: 0, max_restarts: 0, reset_after_ms: 0 }, 'ok'],
      ['the largest values', { immediate_restarts: 100, backoff_ms: MAX_MS, max_backoff_ms: MAX_MS, max_restarts: 10_000, reset_after_ms: MAX_MS }, 'ok'],
      ['backoff_ms equal to max_backoff_ms', { backoff_ms: 500, max_backoff_ms: 500 }, 'ok'],
      ['backoff_ms above the node\'s cap (it raises the cap)', { backoff_ms: 5_000_000 }, 'ok'],
      ['not an object', 3, 'invalid field: crash_policy'],
      ['a list', [], 'invalid field: crash_policy'],
      ['immediate_restarts negative', { immediate_restarts: -1 }, 'invalid field: crash_policy.immediate_restarts: must be in 0..100, got -1'],
      ['immediate_restarts 101', { immediate_restarts: 101 }, 'invalid field: crash_policy.immediate_restarts: must be in 0..100, got 101'],
      ['immediate_restarts a string', { immediate_restarts: '2' }, 'invalid field: crash_policy.immediate_restarts'],
      ['backoff_ms fractional', { backoff_ms: 1.5 }, 'invalid field: crash_policy.backoff_ms: must be an integer, got 1.5'],
      ['backoff_ms negative', { backoff_ms: -1 }, `invalid field: crash_policy.backoff_ms: must be in 0..${MAX_MS}, got -1`],
      ['backoff_ms 2^31', { backoff_ms: 2 ** 31 }, `invalid field: crash_policy.backoff_ms: must be in 0..${MAX_MS}, got ${2 ** 31}`],
      ['backoff_ms above max_backoff_ms', { backoff_ms: 2000, max_backoff_ms: 1000 }, 'invalid field: crash_policy.backoff_ms: must be at most max_backoff_ms (1000), got 2000'],
      ['max_backoff_ms 1e300', { max_backoff_ms: 1e300 }, `invalid field: crash_policy.max_backoff_ms: must be in 0..${MAX_MS}, got 1e+300`],
      ['max_backoff_ms a boolean', { max_backoff_ms: true }, 'invalid field: crash_policy.max_backoff_ms'],
      ['max_restarts negative', { max_restarts: -3 }, 'invalid field: crash_policy.max_restarts: must be in 0..10000, got -3'],
      ['max_restarts 10001', { max_restarts: 10_001 }, 'invalid field: crash_policy.max_restarts: must be in 0..10000, got 10001'],
      ['reset_after_ms 2^53', { reset_after_ms: 2 ** 53 }, `invalid field: crash_policy.reset_after_ms: must be in 0..${MAX_MS}, got ${2 ** 53}`],
      ['reset_after_ms an object', { reset_after_ms: {} }, 'invalid field: crash_policy.reset_after_ms'],
      ['a misspelt field', { max_restart: 3 }, 'invalid field: crash_policy.max_restart: unknown'],
    ];
    for (const [name, policy, expected] of table) {
      it(`${name}: ${expected}`, () => {
        expect(create(policy), 'create').to.equal(expected);
        expect(patch(policy), 'PATCH').to.equal(expected);
      });
    }
  });

  it('is stored as given: only the fields the user set, nulls dropped; absent when not given', () => {
    const stored = desireLrp(desiredLrpRequest({ crash_policy: { max_restarts: 3, backoff_ms: null } }), TAG);
    expect(stored.ok && stored.value.crash_policy).to.deep.equal({ max_restarts: 3 });
    const plain = desireLrp(desiredLrpRequest(), TAG);
    expect(plain.ok && Object.keys(plain.value)).to.not.include('crash_policy');
  });

  it('a PATCH replaces the whole policy ({} goes back to the flags), and leaves it alone when absent', () => {
    const desired = buildDesiredLrp({ crash_policy: { max_restarts: 3, backoff_ms: 1000 } });
    const replace = validateDesiredLrpUpdate({ crash_policy: { backoff_ms: 50 } });
    if (!replace.ok) throw replace.error;
    const after = applyDesiredLrpUpdate(desired, replace.value);
    expect([after.crash_policy, after.modification_tag.index]).to.deep.equal([{ backoff_ms: 50 }, 1]);
    const cleared = applyDesiredLrpUpdate(desired, { crash_policy: {} });
    expect(cleared.crash_policy).to.deep.equal({});
    expect(applyDesiredLrpUpdate(desired, { instances: 4 }).crash_policy).to.deep.equal({ max_restarts: 3, backoff_ms: 1000 });
  });

  describe('restartSettingsFor: the policy over the node\'s settings', () => {
    const node = restartSettings({ immediateRestarts: 3, backoffMs: 400, maxBackoffMs: 800, maxRestarts: 200, crashResetMs: 300_000 });
    const table: [string, CrashPolicy | undefined, Partial<RestartSettings>][] = [
      ['no policy: the node\'s settings', undefined, {}],
      ['an empty policy: the node\'s settings', {}, {}],
      ['immediate_restarts', { immediate_restarts: 0 }, { immediateRestarts: 0 }],
      ['backoff_ms', { backoff_ms: 600 }, { backoffMs: 600 }],
      ['backoff_ms above the node\'s cap: the cap rises to it', { backoff_ms: 1000 }, { backoffMs: 1000, maxBackoffMs: 1000 }],
      ['backoff_ms with its own cap: that cap', { backoff_ms: 1000, max_backoff_ms: 1000 }, { backoffMs: 1000, maxBackoffMs: 1000 }],
      ['max_backoff_ms below the node\'s backoff: kept (every wait is the cap)', { max_backoff_ms: 100 }, { maxBackoffMs: 100 }],
      ['max_backoff_ms', { max_backoff_ms: 5000 }, { maxBackoffMs: 5000 }],
      ['max_restarts 0', { max_restarts: 0 }, { maxRestarts: 0 }],
      ['reset_after_ms', { reset_after_ms: 10 }, { crashResetMs: 10 }],
      ['all five', { immediate_restarts: 1, backoff_ms: 2, max_backoff_ms: 3, max_restarts: 4, reset_after_ms: 5 },
        { immediateRestarts: 1, backoffMs: 2, maxBackoffMs: 3, maxRestarts: 4, crashResetMs: 5 }],
    ];
    for (const [name, policy, overrides] of table) {
      it(name, () => {
        expect(restartSettingsFor(node, policy)).to.deep.equal({ ...node, ...overrides });
      });
    }

    it('leaves the node\'s settings unchanged, and maps every field of the policy', () => {
      const before = { ...node };
      restartSettingsFor(node, { backoff_ms: 1, max_restarts: 0 });
      expect(node).to.deep.equal(before);
      expect(Object.values(CRASH_POLICY_FIELDS).map((f) => f.setting).sort()).to.deep.equal(Object.keys(DEFAULT_RESTART_SETTINGS).sort());
    });
  });
});
