/** The client's output as pure functions of fixed input. */
import { expect } from 'chai';
import type { ActorView } from '../../src/gateway/actors.js';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import type { AuctorEvent } from '../../src/models/events.js';
import type { DesiredLRP } from '../../src/models/desired-lrp.js';
import { renderTree } from '../../src/cli/client/actors.js';
import { renderCells, renderMembers, type CellRow } from '../../src/cli/client/cells.js';
import { formatEvent, summarize } from '../../src/cli/client/events.js';
import { normalizeApiUrl } from '../../src/cli/client/http.js';
import { formatLogLine } from '../../src/cli/client/logs.js';
import { addressOf, renderLrp, renderLrps } from '../../src/cli/client/lrps.js';
import { renderQuarantine } from '../../src/cli/client/quarantine.js';
import { SseParser } from '../../src/base/sse.js';
import { age, fields, table } from '../../src/cli/client/table.js';

const desired = (guid: string, instances: number): DesiredLRP => ({ process_guid: guid, domain: 'd', instances, memory_mb: 128, rootfs: 'preloaded:host', action: { run: { path: 'app', args: ['-p'], user: 'root' } } }) as unknown as DesiredLRP;
const actual = (guid: string, index: number, state: string, extra: Partial<ActualLRP> = {}): ActualLRP =>
  ({ process_guid: guid, index, state, cell_id: 'c1', address: '', ports: [], crash_count: 0, placement_error: '', since: 0, presence: 'ORDINARY', ...extra }) as unknown as ActualLRP;

describe('client renderers', () => {
  it('table aligns columns under upper-case headers and shows empty cells as -', () => {
    const out = table([{ header: 'name', value: (r: { n: string; v?: number }) => r.n }, { header: 'value', value: (r) => r.v }], [{ n: 'a', v: 10 }, { n: 'longer' }]);
    expect(out).to.equal('NAME    VALUE\na       10\nlonger  -\n');
    expect(fields([['a', 1], ['long', 'x'], ['skipped', undefined]])).to.equal('a:    1\nlong: x\n');
  });

  it('age: seconds under 2 minutes, then minutes, hours, days; - for 0', () => {
    const now = 1_000_000_000_000;
    const ns = (msAgo: number) => (now - msAgo) * 1e6;
    expect([age(ns(119_000), now), age(ns(120_000), now), age(ns(7_200_000), now), age(ns(172_800_000), now), age(0, now)]).to.deep.equal(['119s', '2m', '2h', '2d', '-']);
  });

  it('lrps counts each RUNNING index once, whatever its presence', () => {
    const out = renderLrps([desired('web', 3), desired('api', 1)], [
      actual('web', 0, 'RUNNING'), actual('web', 0, 'RUNNING', { presence: 'EVACUATING' } as Partial<ActualLRP>), actual('web', 1, 'CRASHED'), actual('web', 2, 'RUNNING'),
    ]);
    expect(out.split('\n').slice(1, 3)).to.deep.equal(['api           d       1          0        128', 'web           d       3          2        128']);
  });

  it('lrp lists instances by index with address:ports, crashes and placement errors', () => {
    const now = 1_000_000_000_000;
    const out = renderLrp(desired('web', 2), [
      actual('web', 1, 'UNCLAIMED', { cell_id: '', placement_error: 'insufficient resources: memory' }),
      actual('web', 0, 'RUNNING', { address: '10.0.0.5', ports: [{ container_port: 8080, host_port: 61001 }], crash_count: 2, since: (now - 5000) * 1e6 }),
    ], now);
    expect(out).to.contain('action:       run app -p\n');
    const rows = out.trimEnd().split('\n').slice(-2);
    expect(rows[0]).to.match(/^0\s+RUNNING\s+c1\s+10\.0\.0\.5:61001->8080\s+2\s+5s\s+-$/);
    expect(rows[1]).to.match(/^1\s+UNCLAIMED\s+-\s+-\s+0\s+-\s+insufficient resources: memory$/);
    expect(renderLrp(desired('web', 0), [], now)).to.match(/no instances\n$/);
    expect(addressOf({ address: '1.2.3.4', ports: [] })).to.equal('1.2.3.4');
  });

  it("lrp shows the LRP's crash_policy as given, and that the node's flags decide the rest", () => {
    const now = 1_000_000_000_000;
    const line = (d: DesiredLRP) => renderLrp(d, [], now).split('\n').find((l) => l.startsWith('crash_policy:'));
    const withPolicy = (crash_policy: unknown) => ({ ...desired('web', 1), crash_policy }) as DesiredLRP;
    expect(line(desired('web', 1))).to.match(/^crash_policy:\s+the node's flags$/);
    expect(line(withPolicy({}))).to.match(/^crash_policy:\s+the node's flags$/);
    expect(line(withPolicy({ immediate_restarts: 2, backoff_ms: 1000, max_restarts: 3 }))).to.match(/^crash_policy:\s+immediate_restarts=2 backoff_ms=1000 max_restarts=3; the rest from the node's flags$/);
    expect(line(withPolicy({ max_restarts: 0 }))).to.match(/max_restarts=0;/);
    const all = { immediate_restarts: 1, backoff_ms: 2, max_backoff_ms: 3, max_restarts: 4, reset_after_ms: 5 };
    expect(line(withPolicy(all))).to.match(/^crash_policy:\s+immediate_restarts=1 backoff_ms=2 max_backoff_ms=3 max_restarts=4 reset_after_ms=5$/);
  });

  it('cells shows available/total and ? for a cell that did not answer', () => {
    const cell = (id: string, extra: Partial<CellRow>): CellRow => ({ cell_id: id, zone: 'z1', capacity: { memory_mb: 1024, disk_mb: 2048, containers: 10 }, available_resources: { memory_mb: 512, disk_mb: 2048, containers: 8 }, lrp_count: 2, task_count: 0, reachable: true, ...extra });
    const out = renderCells([cell('a', {}), cell('b', { available_resources: null, lrp_count: null, task_count: null, reachable: false }), cell('c', { evacuating: true })]).split('\n');
    expect(out[1]).to.match(/^a\s+z1\s+512\/1024\s+2048\/2048\s+8\/10\s+2\s+0\s+ok$/);
    expect(out[2]).to.match(/^b\s+z1\s+\?\/1024\s+\?\/2048\s+\?\/10\s+\?\s+\?\s+unreachable$/);
    expect(out[3]).to.match(/evacuating$/);
  });

  it('members: roles joined, last heartbeat as an age', () => {
    const now = 1_000_000_000_000;
    const out = renderMembers([{ name: 'control-1', roles: ['control', 'cell'], address: '127.0.0.1:7777', status: 'up', last_heartbeat: (now - 3000) * 1e6 }, { name: 'c2', roles: ['cell'], address: '127.0.0.1:7778', status: 'down', last_heartbeat: null }], now).split('\n');
    expect(out[0]).to.match(/^NAME\s+ROLES\s+ADDRESS\s+STATUS\s+LAST_HEARTBEAT$/);
    expect(out[1]).to.match(/^control-1\s+control,cell\s+127\.0\.0\.1:7777\s+up\s+3s ago$/);
    expect(out[2]).to.match(/^c2\s+cell\s+127\.0\.0\.1:7778\s+down\s+-$/);
  });

  it('quarantine: kind, key, age and the error on one line', () => {
    const now = 1_700_000_000_000;
    const out = renderQuarantine([{ kind: 'desired_lrp', key: 'web', error: "Cannot read properties of null\n(reading 'type')", since: (now - 90_000) * 1e6, actor: '/n1/control/lrps/web' }], now).split('\n');
    expect(out[0]).to.match(/^KIND\s+KEY\s+SINCE\s+ERROR$/);
    expect(out[1]).to.equal("desired_lrp  web  90s    Cannot read properties of null (reading 'type')");
  });

  it('tree: failures, waiting mail and children cut off by --depth, which a healthy node rarely shows', () => {
    const actor = (name: string, children: ActorView[] = [], extra: Partial<ActorView> = {}): ActorView =>
      ({ path: `/n1/${name}`, name, kind: name, status: 'running', restarts: 0, last_failure: null, mailbox: 0, since: 0, last_message_at: null, summary: null, children_count: children.length, children, ...extra });
    const out = renderTree([{ node: 'n1', path: '/n1', actors: [
      actor('a', [actor('b', [actor('d', [], { children_count: 3 })]), actor('c', [], { status: 'stopped', restarts: 2, mailbox: 4, last_failure: { message: 'boom\n  at x', at: 1 } })]),
    ] }]);
    expect(out).to.equal([
      '/n1',
      '└── a (a) running restarts=0',
      '    ├── b (b) running restarts=0',
      '    │   └── d (d) running restarts=0 (+3 children)',
      '    └── c (c) stopped restarts=2 mailbox=4 last failure: boom at x',
      '',
      '4 actors',
      '',
    ].join('\n'));
  });

  describe('events', () => {
    it('SSE messages split across chunks, with CRLF, comments and multi-line data', () => {
      const parser = new SseParser();
      expect(parser.push(': hello\r\nid: 7\r\nevent: task_removed\r\nda')).to.deep.equal([]);
      expect(parser.push('ta: {"task":\r\ndata: {"task_guid":"t"}}\r')).to.deep.equal([]);
      expect(parser.push('\n\r\n')).to.deep.equal([{ id: '7', event: 'task_removed', data: '{"task":\n{"task_guid":"t"}}' }]);
      expect(parser.push('data: x\n\n')).to.deep.equal([{ id: '7', event: 'message', data: 'x' }]);
    });

    it('summarizes every event type of API.md in a few words', () => {
      const lrp = (state: string, extra = {}) => ({ process_guid: 'web', index: 0, state, cell_id: 'c1', ...extra });
      const task = (state: string, extra = {}) => ({ task_guid: 't', state, ...extra });
      const cases: Array<[string, unknown, string]> = [
        ['desired_lrp_created', { desired_lrp: { process_guid: 'web', instances: 2 } }, 'web instances=2'],
        ['desired_lrp_changed', { before: { process_guid: 'web', instances: 2 }, after: { process_guid: 'web', instances: 3 } }, 'web instances=2->3'],
        ['desired_lrp_removed', { desired_lrp: { process_guid: 'web' } }, 'web'],
        ['actual_lrp_instance_created', { actual_lrp: lrp('UNCLAIMED') }, 'web/0 UNCLAIMED'],
        ['actual_lrp_instance_changed', { before: lrp('CLAIMED'), after: lrp('RUNNING') }, 'web/0 CLAIMED->RUNNING cell=c1'],
        ['actual_lrp_instance_changed', { before: lrp('UNCLAIMED', { cell_id: '' }), after: lrp('UNCLAIMED', { cell_id: '', placement_error: 'insufficient resources: memory' }) }, 'web/0 UNCLAIMED placement_error="insufficient resources: memory"'],
        ['actual_lrp_instance_removed', { actual_lrp: lrp('RUNNING') }, 'web/0 RUNNING'],
        ['actual_lrp_crashed', { process_guid: 'web', index: 0, cell_id: 'c1', crash_count: 3, crash_reason: 'exit 1' }, 'web/0 cell=c1 crash_count=3 reason="exit 1"'],
        ['task_created', { task: task('PENDING') }, 't PENDING'],
        ['task_changed', { before: task('RUNNING'), after: task('COMPLETED', { failed: true, failure_reason: 'boom' }) }, 't RUNNING->COMPLETED failed: boom'],
        ['task_removed', { task: task('COMPLETED') }, 't'],
        ['cell_appeared', { cell: { cell_id: 'c1', zone: 'z2' } }, 'c1 zone=z2'],
        ['cell_disappeared', { cell_id: 'c1' }, 'c1'],
        ['something_new', { a: 1 }, '{"a":1}'],
      ];
      for (const [type, data, expected] of cases) expect(summarize({ type, data } as AuctorEvent), type).to.equal(expected);
      expect(formatEvent({ id: '3', event: 'cell_disappeared', data: '{"cell_id":"c1"}' }, false)).to.equal('3 cell_disappeared c1\n');
      expect(formatEvent({ id: '3', event: 'cell_disappeared', data: '{"cell_id":"c1"}' }, true)).to.equal('{"cell_id":"c1"}\n');
    });
  });

  it('log lines: time, source, OUT or ERR, the line', () => {
    expect(formatLogLine({ at: 86_400_000, source: 'APP/PROC/WEB/1', stream: 'stderr', line: 'hi', index: 1 })).to.equal('1970-01-02T00:00:00.000Z [APP/PROC/WEB/1] ERR hi\n');
  });

  it('--api takes a URL or the host:port form of auctor start', () => {
    expect(normalizeApiUrl('127.0.0.1:8888')).to.equal('http://127.0.0.1:8888');
    expect(normalizeApiUrl('https://gw.example/')).to.equal('https://gw.example');
  });
});
