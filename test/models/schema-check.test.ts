/**
 * The schemas validate (`src/models/schema-check.ts`), and a refusal names the field the models
 * always named, where ajv's own first error would name another: a missing field after a wrong one,
 * a `oneOf` (action, check, metric tag) by the errors of every branch, a size rule in code beside
 * the schema's checks. Each expected message is what the hand-written validators answered.
 */
import { expect } from 'chai';
import { validateDesiredLrp, validateDesiredLrpUpdate } from '../../src/models/desired-lrp.js';
import { validateTask } from '../../src/models/task.js';
import { desiredLrpRequest, messageOf, taskRequest } from './builders.js';

const run = { run: { path: 'p', user: 'u' } };
const lrp = (overrides: Record<string, unknown>) => messageOf(validateDesiredLrp(desiredLrpRequest(overrides)));

describe('schema validation names the field the models always named', () => {
  const table: [string, () => string, string][] = [
    ['a wrong field before missing ones', () => messageOf(validateDesiredLrp({ process_guid: 7 })), 'invalid field: process_guid'],
    ['the first bad field in the schema\'s order', () => lrp({ action: { run: { path: 'p' } }, memory_mb: -1 }), 'invalid field: action.run.user'],
    ['an action that is not an object, in a list', () => lrp({ action: { serial: { actions: [run, 'x'] } } }), 'invalid field: action.serial.actions[1]'],
    ['a second non-null action key', () => lrp({ action: { run: run.run, try: 5 } }), 'invalid field: action: must have exactly one action key'],
    ['a check whose kind is not an object', () => lrp({ check_definition: { checks: [{ tcp_check: 5 }] } }), 'invalid field: check_definition.checks[0].tcp_check'],
    ['a metric tag that is not an object', () => lrp({ metric_tags: { a: 'x' } }), 'invalid field: metric_tags.a'],
    ['a checksum value without its algorithm', () => lrp({ action: { download: { from: 'f', to: 't', user: 'u', checksum_value: 'ab' } } }), 'invalid field: action.download.checksum_algorithm: required with checksum_value'],
    ['an unknown crash policy key before a bad field', () => lrp({ crash_policy: { backoff_ms: -1, max_restart: 3 } }), 'invalid field: crash_policy.max_restart: unknown'],
    ['a key a PATCH may not change before a bad field', () => messageOf(validateDesiredLrpUpdate({ instances: -1, rootfs: 'x' })), 'invalid field: rootfs: cannot be updated'],
    ['metric tags over 16 KiB before a bad tag', () => lrp({ metric_tags: { a: { static: 'x'.repeat(16384) }, b: {} } }), 'invalid field: metric_tags: 16410 bytes, at most 16384'],
    ['a domain over 255 bytes before its control character', () => lrp({ domain: `${'é'.repeat(128)}\n` }), 'invalid field: domain: 257 bytes, at most 255'],
    ['source_id unlike metrics_guid before a later bad field', () => lrp({ metrics_guid: 'm', metric_tags: { source_id: { static: 'n' } }, memory_mb: -1 }), 'invalid field: metric_tags: source_id must equal metrics_guid'],
    ['a later bad field before an unparsable callback URL', () => messageOf(validateTask(taskRequest({ memory_mb: -1, completion_callback_url: 'http://' }))), 'invalid field: memory_mb: must be in 0..1048576, got -1'],
  ];
  for (const [name, message, expected] of table) {
    it(`${name}: ${expected}`, () => expect(message()).to.equal(expected));
  }

  it("checks instances against the node's limit, each limit compiled on its own", () => {
    expect(messageOf(validateDesiredLrp(desiredLrpRequest({ instances: 8 }), { maxInstances: 7 }))).to.equal('invalid field: instances: must be in 0..7, got 8');
    expect(messageOf(validateDesiredLrp(desiredLrpRequest({ instances: 8 }), { maxInstances: 9 }))).to.equal('ok');
    expect(messageOf(validateDesiredLrp(desiredLrpRequest({ instances: 8 }), { maxInstances: 7 }))).to.equal('invalid field: instances: must be in 0..7, got 8');
  });
});
