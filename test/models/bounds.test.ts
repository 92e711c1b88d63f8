/**
 * The bounds of `src/models/limits.ts` in the validators: each at its limit is accepted, one past
 * it is refused naming the field (issue 12, findings 4, 5, 7 and 9).
 */
import { expect } from 'chai';
import { validateDesiredLrp, validateDesiredLrpUpdate } from '../../src/models/desired-lrp.js';
import { validateDomainUpsert } from '../../src/models/domain.js';
import { checkJsonBounds } from '../../src/models/json-bounds.js';
import { validateTask } from '../../src/models/task.js';
import { desiredLrpRequest, messageOf, taskRequest } from './builders.js';

const TIMER = 2 ** 31 - 1;
const run = { run: { path: '/bin/app', user: 'vcap' } };
const tcp = (extra: Record<string, unknown>) => ({ checks: [{ tcp_check: { port: 8080, ...extra } }] });

/** `{a: {a: ... {}}}`, `levels` objects deep. */
export function nested(levels: number, leaf: unknown = {}): unknown {
  let value = leaf;
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

/** An array `levels` deep, built without recursion (10,000 levels and more). */
export function deepArray(levels: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < levels; i++) value = [value];
  return value;
}

describe('model bounds', () => {
  const lrpCases: [string, Record<string, unknown>, string][] = [
    ['instances 10000 (the default maximum)', { instances: 10_000 }, 'ok'],
    ['instances 10001', { instances: 10_001 }, 'invalid field: instances: must be in 0..10000, got 10001'],
    ['instances 1e300', { instances: 1e300 }, 'invalid field: instances: must be in 0..10000, got 1e+300'],
    ['instances 2^32', { instances: 2 ** 32 }, 'invalid field: instances: must be in 0..10000, got 4294967296'],
    ['memory_mb 1 TiB', { memory_mb: 1_048_576 }, 'ok'],
    ['memory_mb over 1 TiB', { memory_mb: 1_048_577 }, 'invalid field: memory_mb: must be in 0..1048576, got 1048577'],
    ['disk_mb 1e300', { disk_mb: 1e300 }, 'invalid field: disk_mb: must be in 0..1048576, got 1e+300'],
    ['max_pids 2^22 + 1', { max_pids: 4_194_305 }, 'invalid field: max_pids: must be in 0..4194304, got 4194305'],
    ['start_timeout_ms 2^31-1', { start_timeout_ms: TIMER }, 'ok'],
    ['start_timeout_ms 2^31', { start_timeout_ms: TIMER + 1 }, 'invalid field: start_timeout_ms: must be in 0..2147483647, got 2147483648'],
    ['timeout action 2^31 ms', { action: { timeout: { action: run, timeout_ms: TIMER + 1 } } }, 'invalid field: action.timeout.timeout_ms: must be in 1..2147483647, got 2147483648'],
    ['nofile 2^20 + 1', { action: { run: { ...run.run, resource_limits: { nofile: 1_048_577 } } } }, 'invalid field: action.run.resource_limits.nofile: must be in 0..1048576, got 1048577'],
    ['check interval 2^31', { check_definition: tcp({ interval_ms: TIMER + 1 }) }, 'invalid field: check_definition.checks[0].tcp_check.interval_ms: must be in 0..2147483647, got 2147483648'],
    ['check connect timeout 1e300', { check_definition: tcp({ connect_timeout_ms: 1e300 }) }, 'invalid field: check_definition.checks[0].tcp_check.connect_timeout_ms: must be in 0..2147483647, got 1e+300'],
    ['100 ports', { ports: Array.from({ length: 100 }, (_, i) => 8000 + i) }, 'ok'],
    ['101 ports', { ports: Array.from({ length: 101 }, (_, i) => 8000 + i) }, 'invalid field: ports: 101 ports, at most 100'],
    ['process_guid of 128 characters', { process_guid: 'g'.repeat(128) }, 'ok'],
    ['process_guid of 3000 characters', { process_guid: 'g'.repeat(3000) }, 'invalid field: process_guid: 3000 characters, at most 128'],
    ['domain of 255 bytes', { domain: 'd'.repeat(255) }, 'ok'],
    ['domain of 256 bytes', { domain: 'd'.repeat(254) + 'é' }, 'invalid field: domain: 256 bytes, at most 255'],
    ['domain with CR LF', { domain: 'apps\r\nX-Evil: 1' }, 'invalid field: domain: must not contain control characters'],
    ['domain of spaces', { domain: '   ' }, 'invalid field: domain: must not be only white space'],
    ['domain with inner spaces', { domain: 'my apps' }, 'ok'],
    ['metric_tags over 16 KiB', { metric_tags: { a: { static: 'x'.repeat(16 * 1024) } } }, 'invalid field: metric_tags: 16403 bytes, at most 16384'],
    ['routes 32 levels deep from the top', { routes: nested(31) }, 'ok'],
    ['routes 33 levels deep', { routes: nested(32) }, 'invalid field: routes.a: nested deeper than 32 levels'],
    ['routes 10,000 levels deep', { routes: { r: deepArray(10_000) } }, 'invalid field: routes.r: nested deeper than 32 levels'],
    ['a lone surrogate in routes', { routes: { r: [{ host: 'a\ud800b' }] } }, 'invalid field: routes.r[0].host: not valid Unicode (a lone UTF-16 surrogate)'],
    ['a lone surrogate in a routes key', { routes: { '\udc00': 1 } }, 'invalid field: routes: a key is not valid Unicode (a lone UTF-16 surrogate)'],
    ['a surrogate pair', { routes: { r: '😀' }, annotation: '😀' }, 'ok'],
    // as JSON.parse makes it: an own key, which the store's msgpack decoder renamed "__proto_"
    ['a routes key "__proto__"', { routes: JSON.parse('{"r": {"__proto__": [1]}}') }, 'invalid field: routes.r: a key may not be "__proto__" (it cannot be stored)'],
    ['a key "constructor"', { routes: { constructor: 1 } }, 'ok'],
  ];
  for (const [name, overrides, expected] of lrpCases) {
    it(`DesiredLRP ${name}: ${expected}`, () => expect(messageOf(validateDesiredLrp(desiredLrpRequest(overrides)))).to.equal(expected));
  }

  it("instances is bounded by the node's maximum when one is given", () => {
    expect(messageOf(validateDesiredLrp(desiredLrpRequest({ instances: 21 }), { maxInstances: 20 }))).to.equal('invalid field: instances: must be in 0..20, got 21');
    expect(messageOf(validateDesiredLrp(desiredLrpRequest({ instances: 20 }), { maxInstances: 20 }))).to.equal('ok');
    expect(messageOf(validateDesiredLrpUpdate({ instances: 21 }, { maxInstances: 20 }))).to.equal('invalid field: instances: must be in 0..20, got 21');
    expect(messageOf(validateDesiredLrpUpdate({ instances: 4294967296 }))).to.equal('invalid field: instances: must be in 0..10000, got 4294967296');
    expect(messageOf(validateDesiredLrpUpdate({ routes: { r: deepArray(100) } }))).to.equal('invalid field: routes.r: nested deeper than 32 levels');
  });

  const taskCases: [string, Record<string, unknown>, string][] = [
    ['task_guid of 3000 characters', { task_guid: 't'.repeat(3000) }, 'invalid field: task_guid: 3000 characters, at most 128'],
    ['memory_mb 1e300', { memory_mb: 1e300 }, 'invalid field: memory_mb: must be in 0..1048576, got 1e+300'],
    ['domain with a NUL', { domain: 'jobs\u0000' }, 'invalid field: domain: must not contain control characters'],
    ['a lone surrogate in the annotation', { annotation: '\ud83d' }, 'invalid field: annotation: not valid Unicode (a lone UTF-16 surrogate)'],
    ['an action tree 100 levels deep', { action: nested(100, run) }, 'invalid field: action.a: nested deeper than 32 levels'],
  ];
  for (const [name, overrides, expected] of taskCases) {
    it(`Task ${name}: ${expected}`, () => expect(messageOf(validateTask(taskRequest(overrides)))).to.equal(expected));
  }

  it('domains: name and ttl', () => {
    const table: [string, unknown, string][] = [
      ['d'.repeat(255), { ttl: 4294967295 }, 'ok'],
      ['d'.repeat(200_000), {}, 'invalid field: domain: 200000 bytes, at most 255'],
      ['a\nb', {}, 'invalid field: domain: must not contain control characters'],
      [' \t ', {}, 'invalid field: domain: must not be only white space'],
      ['a\ud800', {}, 'invalid field: domain: not valid Unicode (a lone UTF-16 surrogate)'],
      ['d', { ttl: 4294967296 }, 'invalid field: ttl: must be in 0..4294967295, got 4294967296'],
      ['d', { ttl: 1e300 }, 'invalid field: ttl: must be in 0..4294967295, got 1e+300'],
      ['d', nested(40), 'invalid field: body.a.a: nested deeper than 32 levels'],
    ];
    for (const [domain, body, expected] of table) expect(messageOf(validateDomainUpsert(domain, body)), domain.slice(0, 20)).to.equal(expected);
  });

  it('checkJsonBounds names the path from the top of a body', () => {
    const refusal = (value: unknown, root?: string): string => {
      try {
        checkJsonBounds(value, root);
      } catch (error) {
        return (error as Error).message;
      }
      return 'ok';
    };
    expect(refusal({ type: 'lrps/desire', input: { routes: deepArray(50) } })).to.equal('invalid field: input.routes: nested deeper than 32 levels');
    expect(refusal(deepArray(50))).to.equal('invalid field: [0][0]: nested deeper than 32 levels');
    expect(refusal('\udfff')).to.equal('invalid field: body: not valid Unicode (a lone UTF-16 surrogate)');
    expect(refusal({ a: ['ok', '\udfff'] }, 'body')).to.equal('invalid field: body.a[1]: not valid Unicode (a lone UTF-16 surrogate)');
    expect(refusal(deepArray(32))).to.equal('ok');
    expect(refusal(deepArray(33))).to.not.equal('ok');
  });
});
