/**
 * A table of inputs the models accept or refuse. Each is checked twice: by the models' validation
 * (the JSON Schemas through ajv plus the rules only code can say, src/models/schema-check.ts) and
 * by the schema alone as /openapi.json serves it to clients. Both must give the table's answer,
 * except for the rules JSON Schema cannot say (`serverOnly`): there the schema accepts and only
 * the models refuse.
 */
import { expect } from 'chai';
import { validateAction } from '../../src/models/action-validation.js';
import { validateDesiredLrp, validateDesiredLrpUpdate } from '../../src/models/desired-lrp.js';
import { validateDomainUpsert } from '../../src/models/domain.js';
import { MODEL_SCHEMAS } from '../../src/models/schemas.js';
import { validateTask } from '../../src/models/task.js';
import { componentValidators } from '../support/json-schema.js';
import { desiredLrpRequest, taskRequest } from './builders.js';

const schema = componentValidators(MODEL_SCHEMAS);
const accepts = (name: string, value: unknown): boolean => schema(name)(value) as boolean;

/** [case, input, expected outcome]: `ok`, `reject`, or `serverOnly: <the rule JSON Schema cannot say>` */
type Case = [string, unknown, 'ok' | 'reject' | `serverOnly: ${string}`];

function agreement(component: string, validate: (input: unknown) => { ok: boolean }, cases: Case[]): void {
  for (const [name, input, expected] of cases) {
    it(`${name}: ${expected}`, () => {
      const server = validate(input).ok;
      const json = accepts(component, input);
      if (expected.startsWith('serverOnly')) {
        expect(server, 'the validator rejects').to.equal(false);
        expect(json, 'the schema cannot tell, and accepts').to.equal(true);
        return;
      }
      expect(server, 'the validator').to.equal(expected === 'ok');
      expect(json, `the schema (${JSON.stringify(schema(component).errors?.slice(0, 2))})`).to.equal(server);
    });
  }
}

const run = { run: { path: '/bin/app', user: 'vcap' } };

// a DesiredLRP's crash_policy, in a create and in a PATCH (crash-policy.test.ts has the messages)
const CRASH_POLICIES: Case[] = [
  ['all five', { immediate_restarts: 2, backoff_ms: 1000, max_backoff_ms: 4000, max_restarts: 3, reset_after_ms: 60000 }, 'ok'],
  ['empty', {}, 'ok'],
  ['null', null, 'ok'],
  ['null fields', { backoff_ms: null, max_restarts: 0 }, 'ok'],
  ['the largest values', { immediate_restarts: 100, backoff_ms: 2 ** 31 - 1, max_backoff_ms: 2 ** 31 - 1, max_restarts: 10000, reset_after_ms: 2 ** 31 - 1 }, 'ok'],
  ['a list', [], 'reject'],
  ['immediate_restarts 101', { immediate_restarts: 101 }, 'reject'],
  ['backoff_ms negative', { backoff_ms: -1 }, 'reject'],
  ['backoff_ms fractional', { backoff_ms: 0.5 }, 'reject'],
  ['max_backoff_ms 2^31', { max_backoff_ms: 2 ** 31 }, 'reject'],
  ['max_restarts 10001', { max_restarts: 10001 }, 'reject'],
  ['reset_after_ms a string', { reset_after_ms: '5' }, 'reject'],
  ['an unknown field', { max_restart: 3 }, 'reject'],
  ['backoff_ms above max_backoff_ms', { backoff_ms: 2000, max_backoff_ms: 1000 }, 'serverOnly: one field must not exceed another'],
];
const lrp = (overrides: Record<string, unknown>) => desiredLrpRequest(overrides);
const download = (extra: Record<string, unknown>) => ({ download: { from: 'f', to: 't', user: 'u', ...extra } });
const tcp = (port: unknown) => ({ tcp_check: { port } });
/** `levels` try actions around a run action. */
const tries = (levels: number): unknown => Array.from({ length: levels }).reduce((action: unknown) => ({ try: { action } }), run);

// the same inputs as the validators' own tables (desired-lrp.test.ts), then edge cases of our own
const ACTIONS: [string, unknown, 'ok' | 'reject'][] = [
  ['missing', undefined, 'reject'],
  ['null', null, 'reject'],
  ['not an object', 'run', 'reject'],
  ['a list', [run], 'reject'],
  ['no key', {}, 'reject'],
  ['two keys', { run: run.run, try: { action: run } }, 'reject'],
  ['one key and a null sibling', { run: run.run, try: null }, 'ok'],
  ['only null keys', { run: null, try: null }, 'reject'],
  ['unknown kind', { upload: { from: 'a', to: 'b', user: 'u' } }, 'reject'],
  ['a known kind and an unknown one', { run: run.run, upload: {} }, 'reject'],
  ['run without path', { run: { user: 'vcap' } }, 'reject'],
  ['run with an empty path', { run: { path: '', user: 'vcap' } }, 'reject'],
  ['run without user', { run: { path: '/bin/app' } }, 'reject'],
  ['run body a list', { run: [] }, 'reject'],
  ['run with a non-string arg', { run: { path: 'p', user: 'u', args: ['a', 2] } }, 'reject'],
  ['run with null args and dir', { run: { path: 'p', user: 'u', args: null, dir: null } }, 'ok'],
  ['run env without a name', { run: { path: 'p', user: 'u', env: [{ value: 'v' }] } }, 'reject'],
  ['run env with a null value', { run: { path: 'p', user: 'u', env: [{ name: 'A', value: null }] } }, 'ok'],
  ['run negative nofile', { run: { path: 'p', user: 'u', resource_limits: { nofile: -1 } } }, 'reject'],
  ['run nofile 0', { run: { path: 'p', user: 'u', resource_limits: { nofile: 0 } } }, 'ok'],
  ['run resource_limits a number', { run: { path: 'p', user: 'u', resource_limits: 5 } }, 'reject'],
  ['run suppress_log_output a string', { run: { path: 'p', user: 'u', suppress_log_output: 'yes' } }, 'reject'],
  ['run log_source a number', { run: { path: 'p', user: 'u', log_source: 1 } }, 'reject'],
  ['download without from', { download: { to: '/t', user: 'u' } }, 'reject'],
  ['download without to', { download: { from: 'http://x', user: 'u' } }, 'reject'],
  ['download without user', { download: { from: 'http://x', to: '/t' } }, 'reject'],
  ['download unknown checksum algorithm', download({ checksum_algorithm: 'crc32', checksum_value: 'ab' }), 'reject'],
  ['download algorithm without value', download({ checksum_algorithm: 'sha256' }), 'reject'],
  ['download value without algorithm', download({ checksum_value: 'ab' }), 'reject'],
  ['download empty algorithm and value', download({ checksum_algorithm: '', checksum_value: '' }), 'ok'],
  ['download algorithm with an empty value', download({ checksum_algorithm: 'md5', checksum_value: '' }), 'reject'],
  ['download null algorithm and value', download({ checksum_algorithm: null, checksum_value: null }), 'ok'],
  ['download md5, sha1, sha256', { serial: { actions: ['md5', 'sha1', 'sha256'].map((a) => download({ checksum_algorithm: a, checksum_value: 'ab' })) } }, 'ok'],
  ['timeout 0 ms', { timeout: { action: run, timeout_ms: 0 } }, 'reject'],
  ['timeout 1 ms', { timeout: { action: run, timeout_ms: 1 } }, 'ok'],
  ['timeout 1.5 ms', { timeout: { action: run, timeout_ms: 1.5 } }, 'reject'],
  ['timeout without timeout_ms', { timeout: { action: run } }, 'reject'],
  ['timeout without action', { timeout: { timeout_ms: 5 } }, 'reject'],
  ['timeout with a null action', { timeout: { action: null, timeout_ms: 5 } }, 'reject'],
  ['serial empty', { serial: { actions: [] } }, 'reject'],
  ['parallel without actions', { parallel: {} }, 'reject'],
  ['codependent empty', { codependent: { actions: [] } }, 'reject'],
  ['serial with a bad second action', { serial: { actions: [run, { run: { path: 'x' } }] } }, 'reject'],
  ['serial with a null action', { serial: { actions: [run, null] } }, 'reject'],
  ['try without action', { try: {} }, 'reject'],
  ['emit_progress without action', { emit_progress: { start_message: 'go' } }, 'reject'],
  ['emit_progress with messages', { emit_progress: { action: run, start_message: 'go', success_message: 'ok', failure_message_prefix: 'no' } }, 'ok'],
  ['emit_progress with a number message', { emit_progress: { action: run, start_message: 1 } }, 'reject'],
  ['deep nesting', { try: { action: { emit_progress: { action: { codependent: { actions: [run, { run: { user: 'u' } }] } } } } } }, 'reject'],
  ['a full tree', { serial: { actions: [download({}), { timeout: { action: { parallel: { actions: [run, run] } }, timeout_ms: 500 } }] } }, 'ok'],
];

describe('model schemas agree with the validators', () => {
  it('every component compiles strictly and every $ref resolves', () => {
    for (const name of Object.keys(MODEL_SCHEMAS)) expect(() => schema(name), name).not.to.throw();
  });

  describe('Action', () => agreement('Action', (input) => validateAction(input), ACTIONS));

  describe('DesiredLRPRequest', () => {
    agreement('DesiredLRPRequest', validateDesiredLrp, [
      ['a minimal request', lrp({}), 'ok'],
      ['null', null, 'reject'],
      ['a list', [], 'reject'],
      ['process_guid missing', lrp({ process_guid: undefined }), 'reject'],
      ['process_guid empty', lrp({ process_guid: '' }), 'reject'],
      ['process_guid null', lrp({ process_guid: null }), 'reject'],
      ['process_guid a number', lrp({ process_guid: 7 }), 'reject'],
      ...['abc def', 'abc/def', 'abc,def', 'abc.def', 'abc∆def', 'abc\n'].map((g): Case => [`process_guid ${JSON.stringify(g)}`, lrp({ process_guid: g }), 'reject']),
      ['process_guid of letters, digits, - and _', lrp({ process_guid: 'Abc-09_x' }), 'ok'],
      ['domain missing', lrp({ domain: undefined }), 'reject'],
      ['domain empty', lrp({ domain: '' }), 'reject'],
      ['rootfs missing', lrp({ rootfs: undefined }), 'reject'],
      ['rootfs without a scheme', lrp({ rootfs: 'ploop' }), 'reject'],
      ['rootfs with nothing after the scheme', lrp({ rootfs: 'preloaded:' }), 'reject'],
      ['rootfs preloaded:host', lrp({ rootfs: 'preloaded:host' }), 'ok'],
      ['rootfs docker URL', lrp({ rootfs: 'docker:///cloudfoundry/grace#latest' }), 'ok'],
      ['instances missing', lrp({ instances: undefined }), 'reject'],
      ['instances a string', lrp({ instances: '3' }), 'reject'],
      ['instances negative', lrp({ instances: -1 }), 'reject'],
      ['instances fractional', lrp({ instances: 1.5 }), 'reject'],
      ['instances 0', lrp({ instances: 0 }), 'ok'],
      ['memory_mb negative', lrp({ memory_mb: -1 }), 'reject'],
      ['memory_mb 0', lrp({ memory_mb: 0 }), 'ok'],
      ['memory_mb null', lrp({ memory_mb: null }), 'ok'],
      ['disk_mb negative', lrp({ disk_mb: -1 }), 'reject'],
      ['max_pids negative', lrp({ max_pids: -1 }), 'reject'],
      ['start_timeout_ms negative', lrp({ start_timeout_ms: -5 }), 'reject'],
      ['cpu_weight 0 and 100', lrp({ cpu_weight: 100 }), 'ok'],
      ['cpu_weight 101', lrp({ cpu_weight: 101 }), 'reject'],
      ['cpu_weight -1', lrp({ cpu_weight: -1 }), 'reject'],
      ['privileged not a boolean', lrp({ privileged: 'yes' }), 'reject'],
      ['ports 1 and 65535', lrp({ ports: [1, 65535] }), 'ok'],
      ['ports with 0', lrp({ ports: [8080, 0] }), 'reject'],
      ['ports with 65536', lrp({ ports: [65536] }), 'reject'],
      ['ports not a list', lrp({ ports: 8080 }), 'reject'],
      ['env entry without a name', lrp({ env: [{ value: 'x' }] }), 'reject'],
      ['env entry with an empty name', lrp({ env: [{ name: '', value: 'x' }] }), 'reject'],
      ['env entry not an object', lrp({ env: ['A=B'] }), 'reject'],
      ['env value not a string', lrp({ env: [{ name: 'A', value: 1 }] }), 'reject'],
      ['env not a list', lrp({ env: { A: 'B' } }), 'reject'],
      ['placement_tags with a number', lrp({ placement_tags: ['a', 1] }), 'reject'],
      ['placement_tags strings', lrp({ placement_tags: ['a', 'b'] }), 'ok'],
      ['metric_tags a list', lrp({ metric_tags: [] }), 'reject'],
      ['metric_tag with neither', lrp({ metric_tags: { a: {} } }), 'reject'],
      ['metric_tag with both', lrp({ metric_tags: { a: { static: 'x', dynamic: 'INDEX' } } }), 'reject'],
      ['metric_tag with static and a null dynamic', lrp({ metric_tags: { a: { static: 'x', dynamic: null } } }), 'ok'],
      ['metric_tag null', lrp({ metric_tags: { a: null } }), 'reject'],
      ['metric_tag dynamic unknown', lrp({ metric_tags: { a: { dynamic: 'CELL' } } }), 'reject'],
      ['metric_tag static a number', lrp({ metric_tags: { a: { static: 1 } } }), 'reject'],
      ['metric_tags static and dynamic ones', lrp({ metric_tags: { a: { static: 'x' }, b: { dynamic: 'INDEX' }, c: { dynamic: 'INSTANCE_GUID' } } }), 'ok'],
      ['metric_tags source_id differs from metrics_guid', lrp({ metrics_guid: 'm1', metric_tags: { source_id: { static: 'm2' } } }), 'serverOnly: one field must equal another'],
      ['metric_tags source_id equals metrics_guid', lrp({ metrics_guid: 'm1', metric_tags: { source_id: { static: 'm1' } } }), 'ok'],
      ['log_guid not a string', lrp({ log_guid: 5 }), 'reject'],
      ['routes a list', lrp({ routes: [] }), 'reject'],
      ['routes cf-router', lrp({ routes: { 'cf-router': [{ hostnames: ['a.example.com'], port: 8080 }] } }), 'ok'],
      ['routes: values together 131072 bytes', lrp({ routes: { a: 'x'.repeat(65534), b: 'x'.repeat(65534) } }), 'ok'],
      ['routes: values together 131073 bytes', lrp({ routes: { a: 'x'.repeat(65534), b: 'x'.repeat(65535) } }), 'serverOnly: a size limit on the JSON of all values together'],
      ['annotation 10240 bytes', lrp({ annotation: 'a'.repeat(10240) }), 'ok'],
      ['annotation 10241 bytes', lrp({ annotation: 'a'.repeat(10241) }), 'reject'],
      ['annotation 5120 two-byte characters', lrp({ annotation: 'é'.repeat(5120) }), 'ok'],
      ['annotation 5121 characters, 10241 bytes', lrp({ annotation: 'é'.repeat(5120) + 'a' }), 'serverOnly: maxLength counts characters, the limit is UTF-8 bytes'],
      ['annotation a number', lrp({ annotation: 1 }), 'reject'],
      ['setup and monitor', lrp({ setup: run, monitor: run }), 'ok'],
      ['setup invalid', lrp({ setup: { run: { user: 'u' } } }), 'reject'],
      ['monitor with an empty serial', lrp({ monitor: { serial: { actions: [] } } }), 'reject'],
      ['setup and monitor null', lrp({ setup: null, monitor: null, check_definition: null }), 'ok'],
      ['unknown and server-set fields', lrp({ favourite_colour: 'blue', modification_tag: 'x' }), 'ok'],
      ...ACTIONS.map(([name, action, expected]): Case => [`action ${name}`, lrp({ action }), expected]),
      ['check_definition tcp and http checks', lrp({ check_definition: { checks: [tcp(8080), { http_check: { port: 8080, path: '/ping' } }] } }), 'ok'],
      ['check_definition port 1 and 65535', lrp({ check_definition: { checks: [tcp(1), tcp(65535)] } }), 'ok'],
      ['check_definition port 0', lrp({ check_definition: { checks: [tcp(0)] } }), 'reject'],
      ['check_definition port 65536', lrp({ check_definition: { checks: [tcp(8080), { http_check: { port: 65536 } }] } }), 'reject'],
      ['check_definition port missing', lrp({ check_definition: { checks: [{ tcp_check: {} }] } }), 'reject'],
      ['check_definition both kinds in one check', lrp({ check_definition: { checks: [{ tcp_check: { port: 1 }, http_check: { port: 1 } }] } }), 'reject'],
      ['check_definition tcp and a null http', lrp({ check_definition: { checks: [{ tcp_check: { port: 1 }, http_check: null }] } }), 'ok'],
      ['check_definition neither kind', lrp({ check_definition: { checks: [{}] } }), 'reject'],
      ['check_definition bad readiness check', lrp({ check_definition: { checks: [], readiness_checks: [tcp(-1)] } }), 'reject'],
      ['check_definition negative interval', lrp({ check_definition: { checks: [{ http_check: { port: 80, interval_ms: -1 } }] } }), 'reject'],
      ['check_definition http path a number', lrp({ check_definition: { checks: [{ http_check: { port: 80, path: 1 } }] } }), 'reject'],
      ['check_definition empty', lrp({ check_definition: {} }), 'ok'],
      ['check_definition not an object', lrp({ check_definition: 'tcp' }), 'reject'],
      ...CRASH_POLICIES.map(([name, policy, expected]): Case => [`crash_policy ${name}`, lrp({ crash_policy: policy }), expected]),
      // the bounds of limits.ts
      ['instances 10000', lrp({ instances: 10_000 }), 'ok'],
      ['instances 10001', lrp({ instances: 10_001 }), 'reject'],
      ['instances 1e300', lrp({ instances: 1e300 }), 'reject'],
      ['memory_mb 1 TiB', lrp({ memory_mb: 1_048_576 }), 'ok'],
      ['memory_mb over 1 TiB', lrp({ memory_mb: 1_048_577 }), 'reject'],
      ['disk_mb 2^40', lrp({ disk_mb: 2 ** 40 }), 'reject'],
      ['max_pids over 2^22', lrp({ max_pids: 2 ** 22 + 1 }), 'reject'],
      ['start_timeout_ms 2^31-1', lrp({ start_timeout_ms: 2 ** 31 - 1 }), 'ok'],
      ['start_timeout_ms 2^31', lrp({ start_timeout_ms: 2 ** 31 }), 'reject'],
      ['timeout action 2^31 ms', lrp({ action: { timeout: { action: run, timeout_ms: 2 ** 31 } } }), 'reject'],
      ['nofile over 2^20', lrp({ action: { run: { ...run.run, resource_limits: { nofile: 2 ** 20 + 1 } } } }), 'reject'],
      ['check interval 2^31', lrp({ check_definition: { checks: [{ http_check: { port: 80, interval_ms: 2 ** 31 } }] } }), 'reject'],
      ['check request timeout 2^31-1', lrp({ check_definition: { checks: [{ http_check: { port: 80, request_timeout_ms: 2 ** 31 - 1 } }] } }), 'ok'],
      ['101 ports', lrp({ ports: Array.from({ length: 101 }, (_, i) => i + 1) }), 'reject'],
      ['process_guid of 128 characters', lrp({ process_guid: 'p'.repeat(128) }), 'ok'],
      ['process_guid of 129 characters', lrp({ process_guid: 'p'.repeat(129) }), 'reject'],
      ['domain of 255 characters', lrp({ domain: 'd'.repeat(255) }), 'ok'],
      ['domain of 256 characters', lrp({ domain: 'd'.repeat(256) }), 'reject'],
      ['domain of 128 two-byte characters', lrp({ domain: 'é'.repeat(128) }), 'serverOnly: maxLength counts characters, the limit is UTF-8 bytes'],
      ['domain with CR LF', lrp({ domain: 'a\r\nb' }), 'reject'],
      ['domain of spaces', lrp({ domain: '  ' }), 'reject'],
      ['domain with a line separator and a letter', lrp({ domain: '\u2028a' }), 'ok'],
      ['domain of a line separator', lrp({ domain: '\u2028' }), 'reject'],
      ['routes 33 levels deep', lrp({ routes: { a: { b: JSON.parse('['.repeat(31) + ']'.repeat(31)) } } }), 'serverOnly: a nesting depth'],
      ['a lone surrogate in routes', lrp({ routes: { a: '\ud800' } }), 'serverOnly: well-formed Unicode'],
      ['metric_tags over 16 KiB', lrp({ metric_tags: { a: { static: 'x'.repeat(16_384) } } }), 'serverOnly: a size limit on the JSON of all tags together'],
    ]);
  });

  describe('DesiredLRPUpdate', () => {
    agreement('DesiredLRPUpdate', validateDesiredLrpUpdate, [
      ['instances', { instances: 5 }, 'ok'],
      ['all four keys', { instances: 0, routes: { 'cf-router': [] }, annotation: 'x', metric_tags: { a: { static: 'b' } } }, 'ok'],
      ['empty update', {}, 'ok'],
      ['null instances', { instances: null }, 'ok'],
      ['rootfs', { rootfs: 'preloaded:other' }, 'reject'],
      ['process_guid', { process_guid: 'other' }, 'reject'],
      ['a null rootfs', { rootfs: null }, 'reject'],
      ['memory_mb next to instances', { instances: 1, memory_mb: 64 }, 'reject'],
      ['negative instances', { instances: -1 }, 'reject'],
      ['annotation 10241 bytes', { annotation: 'a'.repeat(10241) }, 'reject'],
      ['annotation 10240 bytes', { annotation: 'a'.repeat(10240) }, 'ok'],
      ['annotation 10240 characters, 10241 bytes', { annotation: 'é' + 'a'.repeat(10239) }, 'serverOnly: maxLength counts characters, the limit is UTF-8 bytes'],
      ['routes over 128 KiB', { routes: { r: 'x'.repeat(131071) } }, 'serverOnly: a size limit on the JSON of all values together'],
      ['bad metric tag', { metric_tags: { a: { dynamic: 'NOPE' } } }, 'reject'],
      ['not an object', 3, 'reject'],
      ['a list', [], 'reject'],
      ...CRASH_POLICIES.map(([name, crash_policy, expected]): Case => [`crash_policy ${name}`, { crash_policy }, expected]),
      ['instances 10001', { instances: 10_001 }, 'reject'],
      ['instances 2^32', { instances: 2 ** 32 }, 'reject'],
    ]);
  });

  describe('TaskRequest', () => {
    const task = (overrides: Record<string, unknown>) => taskRequest(overrides);
    agreement('TaskRequest', validateTask, [
      ['a minimal task', task({}), 'ok'],
      ['not an object', 'task', 'reject'],
      ['task_guid missing', task({ task_guid: undefined }), 'reject'],
      ...['abc def', 'abc/def', 'abc,def', 'abc.def', 'abc∆def', ''].map((g): Case => [`task_guid ${JSON.stringify(g)}`, task({ task_guid: g }), 'reject']),
      ['domain missing', task({ domain: undefined }), 'reject'],
      ['rootfs ploop', task({ rootfs: 'ploop' }), 'reject'],
      ['action missing', task({ action: undefined }), 'reject'],
      ['action run without user', task({ action: { run: { path: 'p' } } }), 'reject'],
      ['memory_mb negative', task({ memory_mb: -1 }), 'reject'],
      ['disk_mb negative', task({ disk_mb: -1 }), 'reject'],
      ['max_pids negative', task({ max_pids: -1 }), 'reject'],
      ['cpu_weight 101', task({ cpu_weight: 101 }), 'reject'],
      ['privileged true', task({ privileged: true }), 'ok'],
      ['result_file a number', task({ result_file: 3 }), 'reject'],
      ['result_file a path', task({ result_file: '/tmp/result' }), 'ok'],
      ['completion_callback_url http', task({ completion_callback_url: 'http://127.0.0.1:9000/done' }), 'ok'],
      ['completion_callback_url https', task({ completion_callback_url: 'https://example.com/cb' }), 'ok'],
      ['completion_callback_url HTTPS in capitals', task({ completion_callback_url: 'HTTPS://example.com/cb' }), 'ok'],
      ['completion_callback_url empty', task({ completion_callback_url: '' }), 'ok'],
      ['completion_callback_url ftp', task({ completion_callback_url: 'ftp://example.com/cb' }), 'reject'],
      ['completion_callback_url not a URL', task({ completion_callback_url: 'not a url' }), 'reject'],
      ['completion_callback_url http with no host', task({ completion_callback_url: 'http://' }), 'serverOnly: URL parsing'],
      ['completion_callback_url a number', task({ completion_callback_url: 80 }), 'reject'],
      ['annotation 10240 bytes', task({ annotation: 'a'.repeat(10240) }), 'ok'],
      ['annotation 10241 bytes', task({ annotation: 'a'.repeat(10241) }), 'reject'],
      ['annotation 10241 bytes in fewer characters', task({ annotation: '€'.repeat(3414) }), 'serverOnly: maxLength counts characters, the limit is UTF-8 bytes'],
      ['env without a name', task({ env: [{ value: 'v' }] }), 'reject'],
      ['placement_tags with a number', task({ placement_tags: [1] }), 'reject'],
      ['server-set fields are ignored', task({ state: 'COMPLETED', failed: 'maybe' }), 'ok'],
      ['task_guid of 3000 characters', task({ task_guid: 't'.repeat(3000) }), 'reject'],
      ['domain with a NUL', task({ domain: 'jobs\u0000' }), 'reject'],
      ['memory_mb 1e300', task({ memory_mb: 1e300 }), 'reject'],
      ['an action tree 20 try actions deep (43 levels)', task({ action: tries(20) }), 'serverOnly: a nesting depth'],
      ['an action tree 14 try actions deep (31 levels)', task({ action: tries(14) }), 'ok'],
    ]);
  });

  describe('DomainRequest', () => {
    agreement('DomainRequest', (body) => validateDomainUpsert('apps', body), [
      ['null (an empty body)', null, 'ok'],
      ['{}', {}, 'ok'],
      ['ttl 0', { ttl: 0 }, 'ok'],
      ['ttl 60', { ttl: 60 }, 'ok'],
      ['ttl null', { ttl: null }, 'ok'],
      ['ttl -1', { ttl: -1 }, 'reject'],
      ['ttl 1.5', { ttl: 1.5 }, 'reject'],
      ['ttl a string', { ttl: '60' }, 'reject'],
      ['a list', [], 'reject'],
      ['a string', 'forever', 'reject'],
      ['ttl 2^32-1', { ttl: 2 ** 32 - 1 }, 'ok'],
      ['ttl 2^32', { ttl: 2 ** 32 }, 'reject'],
      ['ttl 1e300', { ttl: 1e300 }, 'reject'],
    ]);
  });
});
