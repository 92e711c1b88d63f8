import { expect } from 'chai';
import {
  DESIRED_LRP_DEFAULTS, applyDesiredLrpUpdate, desireLrp, normalizeDesiredLrp, scaleChange, validateDesiredLrp,
  validateDesiredLrpUpdate,
} from '../../src/models/desired-lrp.js';
import { TAG, buildDesiredLrp, codeOf, desiredLrpRequest, messageOf } from './builders.js';

const run = { run: { path: '/bin/app', user: 'vcap' } };
const check = (overrides: Record<string, unknown>) => messageOf(validateDesiredLrp(desiredLrpRequest(overrides)));

describe('DesiredLRP validation', () => {
  it('accepts a minimal request and reports InvalidRequest otherwise', () => {
    expect(validateDesiredLrp(desiredLrpRequest()).ok).to.equal(true);
    expect(codeOf(validateDesiredLrp(desiredLrpRequest({ process_guid: 'a b' })))).to.equal('InvalidRequest');
    expect(messageOf(validateDesiredLrp(null))).to.equal('invalid field: desired_lrp');
    expect(messageOf(validateDesiredLrp([]))).to.equal('invalid field: desired_lrp');
  });

  const GUID = 'invalid field: process_guid: must match ^[a-zA-Z0-9_-]+$';
  const table: [string, Record<string, unknown>, string][] = [
    ['process_guid missing', { process_guid: undefined }, 'invalid field: process_guid'],
    ['process_guid empty', { process_guid: '' }, 'invalid field: process_guid'],
    ['process_guid null', { process_guid: null }, 'invalid field: process_guid'],
    ['process_guid a number', { process_guid: 7 }, 'invalid field: process_guid'],
    ['process_guid with a space', { process_guid: 'abc def' }, GUID],
    ['process_guid with a slash', { process_guid: 'abc/def' }, GUID],
    ['process_guid with a comma', { process_guid: 'abc,def' }, GUID],
    ['process_guid with a dot', { process_guid: 'abc.def' }, GUID],
    ['process_guid with a non-ASCII letter', { process_guid: 'abc∆def' }, GUID],
    ['process_guid of letters, digits, - and _', { process_guid: 'Abc-09_x' }, 'ok'],
    ['domain missing', { domain: undefined }, 'invalid field: domain'],
    ['domain empty', { domain: '' }, 'invalid field: domain'],
    ['rootfs missing', { rootfs: undefined }, 'invalid field: rootfs'],
    ['rootfs without a scheme', { rootfs: 'ploop' }, 'invalid field: rootfs: must be a URL with a scheme'],
    ['rootfs preloaded:host', { rootfs: 'preloaded:host' }, 'ok'],
    ['rootfs docker URL', { rootfs: 'docker:///cloudfoundry/grace#latest' }, 'ok'],
    ['instances missing', { instances: undefined }, 'invalid field: instances'],
    ['instances a string', { instances: '3' }, 'invalid field: instances'],
    ['instances negative', { instances: -1 }, 'invalid field: instances: must be in 0..10000, got -1'],
    ['instances fractional', { instances: 1.5 }, 'invalid field: instances: must be an integer, got 1.5'],
    ['instances 0', { instances: 0 }, 'ok'],
    ['memory_mb negative', { memory_mb: -1 }, 'invalid field: memory_mb: must be in 0..1048576, got -1'],
    ['memory_mb 0', { memory_mb: 0 }, 'ok'],
    ['disk_mb negative', { disk_mb: -1 }, 'invalid field: disk_mb: must be in 0..1048576, got -1'],
    ['max_pids negative', { max_pids: -1 }, 'invalid field: max_pids: must be in 0..4194304, got -1'],
    ['max_pids 0', { max_pids: 0 }, 'ok'],
    ['start_timeout_ms negative', { start_timeout_ms: -5 }, 'invalid field: start_timeout_ms: must be in 0..2147483647, got -5'],
    ['cpu_weight 0', { cpu_weight: 0 }, 'ok'],
    ['cpu_weight 100', { cpu_weight: 100 }, 'ok'],
    ['cpu_weight 101', { cpu_weight: 101 }, 'invalid field: cpu_weight: must be in 0..100, got 101'],
    ['cpu_weight -1', { cpu_weight: -1 }, 'invalid field: cpu_weight: must be in 0..100, got -1'],
    ['privileged not a boolean', { privileged: 'yes' }, 'invalid field: privileged'],
    ['ports 1 and 65535', { ports: [1, 65535] }, 'ok'],
    ['ports with 0', { ports: [8080, 0] }, 'invalid field: ports[1]: must be in 1..65535, got 0'],
    ['ports with 65536', { ports: [65536] }, 'invalid field: ports[0]: must be in 1..65535, got 65536'],
    ['ports not a list', { ports: 8080 }, 'invalid field: ports'],
    ['env entry without a name', { env: [{ value: 'x' }] }, 'invalid field: env[0].name'],
    ['env entry not an object', { env: ['A=B'] }, 'invalid field: env[0]'],
    ['env value not a string', { env: [{ name: 'A', value: 1 }] }, 'invalid field: env[0].value'],
    ['env not a list', { env: { A: 'B' } }, 'invalid field: env'],
    ['placement_tags with a number', { placement_tags: ['a', 1] }, 'invalid field: placement_tags[1]'],
    ['placement_tags strings', { placement_tags: ['a', 'b'] }, 'ok'],
    ['metric_tags a list', { metric_tags: [] }, 'invalid field: metric_tags'],
    ['metric_tag with neither', { metric_tags: { a: {} } }, 'invalid field: metric_tags.a: must have exactly one of static, dynamic'],
    ['metric_tag with both', { metric_tags: { a: { static: 'x', dynamic: 'INDEX' } } }, 'invalid field: metric_tags.a: must have exactly one of static, dynamic'],
    ['metric_tag dynamic unknown', { metric_tags: { a: { dynamic: 'CELL' } } }, 'invalid field: metric_tags.a.dynamic: must be INDEX or INSTANCE_GUID'],
    ['metric_tags static and dynamic ones', { metric_tags: { a: { static: 'x' }, b: { dynamic: 'INDEX' }, c: { dynamic: 'INSTANCE_GUID' } } }, 'ok'],
    ['metric_tags source_id differs from metrics_guid', { metrics_guid: 'm1', metric_tags: { source_id: { static: 'm2' } } }, 'invalid field: metric_tags: source_id must equal metrics_guid'],
    ['metric_tags source_id equals metrics_guid', { metrics_guid: 'm1', metric_tags: { source_id: { static: 'm1' } } }, 'ok'],
    ['log_guid not a string', { log_guid: 5 }, 'invalid field: log_guid'],
    ['routes a list', { routes: [] }, 'invalid field: routes'],
  ];
  for (const [name, overrides, expected] of table) {
    it(`${name}: ${expected}`, () => expect(check(overrides)).to.equal(expected));
  }

  it('annotation: 10240 bytes ok, 10241 rejected (bytes, not characters)', () => {
    expect(check({ annotation: 'a'.repeat(10240) })).to.equal('ok');
    expect(check({ annotation: 'a'.repeat(10241) })).to.equal('invalid field: annotation: 10241 bytes, at most 10240');
    expect(check({ annotation: 'é'.repeat(5120) })).to.equal('ok');
    expect(check({ annotation: 'é'.repeat(5120) + 'a' })).to.equal('invalid field: annotation: 10241 bytes, at most 10240');
  });

  it('routes: all values together 131072 bytes ok, 131073 rejected', () => {
    // a JSON string value costs its length + 2 quotes
    expect(check({ routes: { 'cf-router': 'x'.repeat(131070) } })).to.equal('ok');
    expect(check({ routes: { 'cf-router': 'x'.repeat(131071) } })).to.equal('invalid field: routes: 131073 bytes, at most 131072');
    expect(check({ routes: { a: 'x'.repeat(65534), b: 'x'.repeat(65534) } })).to.equal('ok');
    expect(check({ routes: { a: 'x'.repeat(65534), b: 'x'.repeat(65535) } })).to.equal('invalid field: routes: 131073 bytes, at most 131072');
  });

  describe('actions (recursive)', () => {
    const actionTable: [string, unknown, string][] = [
      ['missing', undefined, 'invalid field: action'],
      ['not an object', 'run', 'invalid field: action'],
      ['no key', {}, 'invalid field: action: must have exactly one action key'],
      ['two keys', { run: run.run, try: { action: run } }, 'invalid field: action: must have exactly one action key'],
      ['unknown kind', { upload: { from: 'a', to: 'b', user: 'u' } }, 'invalid field: action.upload: unknown action'],
      ['run without path', { run: { user: 'vcap' } }, 'invalid field: action.run.path'],
      ['run without user', { run: { path: '/bin/app' } }, 'invalid field: action.run.user'],
      ['run with a non-string arg', { run: { path: 'p', user: 'u', args: ['a', 2] } }, 'invalid field: action.run.args[1]'],
      ['run env without a name', { run: { path: 'p', user: 'u', env: [{ value: 'v' }] } }, 'invalid field: action.run.env[0].name'],
      ['run negative nofile', { run: { path: 'p', user: 'u', resource_limits: { nofile: -1 } } }, 'invalid field: action.run.resource_limits.nofile: must be in 0..1048576, got -1'],
      ['download without from', { download: { to: '/t', user: 'u' } }, 'invalid field: action.download.from'],
      ['download without to', { download: { from: 'http://x', user: 'u' } }, 'invalid field: action.download.to'],
      ['download without user', { download: { from: 'http://x', to: '/t' } }, 'invalid field: action.download.user'],
      ['download unknown checksum algorithm', { download: { from: 'f', to: 't', user: 'u', checksum_algorithm: 'crc32', checksum_value: 'ab' } }, 'invalid field: action.download.checksum_algorithm: must be md5, sha1 or sha256'],
      ['download algorithm without value', { download: { from: 'f', to: 't', user: 'u', checksum_algorithm: 'sha256' } }, 'invalid field: action.download.checksum_value: required with checksum_algorithm'],
      ['download value without algorithm', { download: { from: 'f', to: 't', user: 'u', checksum_value: 'ab' } }, 'invalid field: action.download.checksum_algorithm: required with checksum_value'],
      ['download md5, sha1, sha256', { serial: { actions: ['md5', 'sha1', 'sha256'].map((a) => ({ download: { from: 'f', to: 't', user: 'u', checksum_algorithm: a, checksum_value: 'ab' } })) } }, 'ok'],
      ['timeout 0 ms', { timeout: { action: run, timeout_ms: 0 } }, 'invalid field: action.timeout.timeout_ms: must be in 1..2147483647, got 0'],
      ['timeout 1 ms', { timeout: { action: run, timeout_ms: 1 } }, 'ok'],
      ['timeout without timeout_ms', { timeout: { action: run } }, 'invalid field: action.timeout.timeout_ms'],
      ['timeout without action', { timeout: { timeout_ms: 5 } }, 'invalid field: action.timeout.action'],
      ['serial empty', { serial: { actions: [] } }, 'invalid field: action.serial.actions: must not be empty'],
      ['parallel without actions', { parallel: {} }, 'invalid field: action.parallel.actions: must not be empty'],
      ['codependent empty', { codependent: { actions: [] } }, 'invalid field: action.codependent.actions: must not be empty'],
      ['serial with a bad second action', { serial: { actions: [run, { run: { path: 'x' } }] } }, 'invalid field: action.serial.actions[1].run.user'],
      ['try without action', { try: {} }, 'invalid field: action.try.action'],
      ['emit_progress without action', { emit_progress: { start_message: 'go' } }, 'invalid field: action.emit_progress.action'],
      ['deep nesting', { try: { action: { emit_progress: { action: { codependent: { actions: [run, { run: { user: 'u' } }] } } } } } }, 'invalid field: action.try.action.emit_progress.action.codependent.actions[1].run.path'],
      ['a full tree', { serial: { actions: [{ download: { from: 'http://x/a.tgz', to: '.', user: 'u' } }, { timeout: { action: { parallel: { actions: [run, run] } }, timeout_ms: 500 } }] } }, 'ok'],
    ];
    for (const [name, action, expected] of actionTable) {
      it(`${name}: ${expected}`, () => expect(check({ action })).to.equal(expected));
    }

    it('validates optional setup and monitor under their own names', () => {
      expect(check({ setup: { run: { user: 'u' } } })).to.equal('invalid field: setup.run.path');
      expect(check({ monitor: { serial: { actions: [] } } })).to.equal('invalid field: monitor.serial.actions: must not be empty');
      expect(check({ setup: run, monitor: run })).to.equal('ok');
    });
  });

  describe('check_definition', () => {
    const tcp = (port: unknown) => ({ tcp_check: { port } });
    const table2: [string, unknown, string][] = [
      ['tcp and http checks', { checks: [tcp(8080), { http_check: { port: 8080, path: '/ping' } }] }, 'ok'],
      ['port 1 and 65535', { checks: [tcp(1), tcp(65535)] }, 'ok'],
      ['port 0', { checks: [tcp(0)] }, 'invalid field: check_definition.checks[0].tcp_check.port: must be in 1..65535, got 0'],
      ['port 65536', { checks: [tcp(8080), { http_check: { port: 65536 } }] }, 'invalid field: check_definition.checks[1].http_check.port: must be in 1..65535, got 65536'],
      ['port missing', { checks: [{ tcp_check: {} }] }, 'invalid field: check_definition.checks[0].tcp_check.port'],
      ['both kinds in one check', { checks: [{ tcp_check: { port: 1 }, http_check: { port: 1 } }] }, 'invalid field: check_definition.checks[0]: must have exactly one of tcp_check, http_check'],
      ['neither kind', { checks: [{}] }, 'invalid field: check_definition.checks[0]: must have exactly one of tcp_check, http_check'],
      ['bad readiness check', { checks: [], readiness_checks: [tcp(-1)] }, 'invalid field: check_definition.readiness_checks[0].tcp_check.port: must be in 1..65535, got -1'],
      ['negative interval', { checks: [{ http_check: { port: 80, interval_ms: -1 } }] }, 'invalid field: check_definition.checks[0].http_check.interval_ms: must be in 0..2147483647, got -1'],
      ['not an object', 'tcp', 'invalid field: check_definition'],
    ];
    for (const [name, definition, expected] of table2) {
      it(`${name}: ${expected}`, () => expect(check({ check_definition: definition })).to.equal(expected));
    }
  });
});

describe('DesiredLRP normalization', () => {
  it('exports the defaults applied on create', () => {
    expect(DESIRED_LRP_DEFAULTS).to.deep.equal({
      start_timeout_ms: 0, memory_mb: 0, disk_mb: 0, cpu_weight: 0, max_pids: 0, privileged: false,
      ports: [], routes: {}, env: [], metric_tags: {}, placement_tags: [],
    });
  });

  it('stores the defaults, the tag, and only known fields', () => {
    const result = desireLrp(desiredLrpRequest({ egress_rules: [{}], modification_tag: { epoch: 'client', index: 9 }, state: 'x' }), TAG);
    expect(result.ok && result.value).to.deep.equal({
      process_guid: 'web', domain: 'apps', rootfs: 'preloaded:host', instances: 2,
      action: { run: { path: '/bin/sh', args: ['-c', 'sleep 1000'], user: 'vcap' } },
      start_timeout_ms: 0, memory_mb: 0, disk_mb: 0, cpu_weight: 0, max_pids: 0, privileged: false,
      ports: [], routes: {}, env: [], metric_tags: {}, placement_tags: [], modification_tag: TAG,
    });
  });

  it('keeps given values and does not share the defaults between records', () => {
    const a = normalizeDesiredLrp({ process_guid: 'a', domain: 'd', rootfs: 'preloaded:host', instances: 1, action: run, memory_mb: 128, env: [{ name: 'A', value: '1' }] }, TAG);
    expect(a.memory_mb).to.equal(128);
    expect(a.env).to.deep.equal([{ name: 'A', value: '1' }]);
    a.ports.push(1);
    a.metric_tags['x'] = { static: 'y' };
    const b = normalizeDesiredLrp({ process_guid: 'b', domain: 'd', rootfs: 'preloaded:host', instances: 1, action: run }, TAG);
    expect(b.ports).to.deep.equal([]);
    expect(b.metric_tags).to.deep.equal({});
  });

  it('desireLrp returns the validation error as data', () => {
    expect(messageOf(desireLrp(desiredLrpRequest({ rootfs: 'ploop' }), TAG))).to.equal('invalid field: rootfs: must be a URL with a scheme');
  });
});

describe('DesiredLRP updates', () => {
  const table: [string, unknown, string][] = [
    ['instances', { instances: 5 }, 'ok'],
    ['all four keys', { instances: 0, routes: { 'cf-router': [] }, annotation: 'x', metric_tags: { a: { static: 'b' } } }, 'ok'],
    ['empty update', {}, 'ok'],
    ['rootfs', { rootfs: 'preloaded:other' }, 'invalid field: rootfs: cannot be updated'],
    ['process_guid', { process_guid: 'other' }, 'invalid field: process_guid: cannot be updated'],
    ['memory_mb next to instances', { instances: 1, memory_mb: 64 }, 'invalid field: memory_mb: cannot be updated'],
    ['negative instances', { instances: -1 }, 'invalid field: instances: must be in 0..10000, got -1'],
    ['annotation 10241 bytes', { annotation: 'a'.repeat(10241) }, 'invalid field: annotation: 10241 bytes, at most 10240'],
    ['annotation 10240 bytes', { annotation: 'a'.repeat(10240) }, 'ok'],
    ['routes over 128 KiB', { routes: { r: 'x'.repeat(131071) } }, 'invalid field: routes: 131073 bytes, at most 131072'],
    ['bad metric tag', { metric_tags: { a: { dynamic: 'NOPE' } } }, 'invalid field: metric_tags.a.dynamic: must be INDEX or INSTANCE_GUID'],
    ['not an object', 3, 'invalid field: update'],
  ];
  for (const [name, update, expected] of table) {
    it(`${name}: ${expected}`, () => expect(messageOf(validateDesiredLrpUpdate(update))).to.equal(expected));
  }

  it('applies only the given keys and bumps the modification index, keeping the epoch', () => {
    const before = buildDesiredLrp({ annotation: 'old', modification_tag: { epoch: 'e', index: 4 } });
    const after = applyDesiredLrpUpdate(before, { instances: 7, annotation: 'new' });
    expect(after).to.deep.equal({ ...before, instances: 7, annotation: 'new', modification_tag: { epoch: 'e', index: 5 } });
    expect(before.instances).to.equal(2);
    expect(applyDesiredLrpUpdate(before, {}).modification_tag).to.deep.equal({ epoch: 'e', index: 5 });
  });

  it('scaleChange starts new indices on scale up and stops from the new count on scale down', () => {
    expect(scaleChange(2, 5)).to.deep.equal({ start: [2, 3, 4], stopFrom: undefined });
    expect(scaleChange(5, 2)).to.deep.equal({ start: [], stopFrom: 2 });
    expect(scaleChange(3, 3)).to.deep.equal({ start: [], stopFrom: undefined });
    expect(scaleChange(3, 0)).to.deep.equal({ start: [], stopFrom: 0 });
  });
});
