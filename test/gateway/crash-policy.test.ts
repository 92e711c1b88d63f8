/**
 * A DesiredLRP's crash_policy end to end: a real node (process backend), driven over REST, its
 * sequence read from the event stream's timestamps. The node's own flags (FAST_FLAGS: 3 immediate
 * restarts, 400 ms doubling to 800 ms, 200 crashes) differ from the LRP's policy in every field
 * the test relies on, so each observation can only come from the policy.
 */
import { expect } from 'chai';
import { consistently } from '../support/eventually.js';
import { FAST_FLAGS, http, startNode, type NodeProcess } from '../support/gateway-node.js';
import { SseClient, type SseEvent } from '../support/sse.js';
import { tempDir } from '../support/temp-dir.js';

const MS = 1_000_000;

const crashingLrp = (crash_policy: Record<string, unknown>) => ({
  process_guid: 'crasher',
  domain: 'apps',
  rootfs: 'preloaded:host',
  instances: 1,
  memory_mb: 32,
  action: { run: { path: 'sh', args: ['-c', 'exit 17'], user: 'vcap' } },
  crash_policy,
});

type Row = { state: string; crash_count: number; since: number; instance_guid: string };
/** One step of the instance's life: a crash (its count) or a change of state (before > after). */
type Step = { kind: 'crash'; count: number; since: number } | { kind: 'change'; before: Row; after: Row };

function steps(events: SseEvent[]): Step[] {
  return events.flatMap((e): Step[] => {
    const data = JSON.parse(e.data) as Record<string, any>;
    if (e.event === 'actual_lrp_crashed' && data.process_guid === 'crasher') return [{ kind: 'crash', count: data.crash_count, since: data.since }];
    if (e.event === 'actual_lrp_instance_changed' && data.after.process_guid === 'crasher') return [{ kind: 'change', before: data.before, after: data.after }];
    return [];
  });
}

/** The state each crash left the row in (`UNCLAIMED` = restarted at once), and every CRASHED wait in ms, from `since`. */
function crashStory(all: Step[]): { after: string[]; waitsMs: number[] } {
  const after: string[] = [];
  const waitsMs: number[] = [];
  for (const step of all) {
    if (step.kind !== 'change') continue;
    const { before, after: next } = step;
    if (next.crash_count > before.crash_count) after.push(`${next.crash_count}:${next.state}`);
    if (before.state === 'CRASHED' && next.state === 'UNCLAIMED') waitsMs.push((next.since - before.since) / MS);
  }
  return { after, waitsMs };
}

describe('crash_policy end to end (real node, process backend, over REST)', function () {
  this.timeout(90_000);
  let dir: ReturnType<typeof tempDir>;
  let node: NodeProcess;
  let events: SseClient;
  const call = (method: string, path: string, body?: unknown) => http(node.url, method, path, body);
  const row = async (): Promise<Row> => (await call('GET', '/v1/actual_lrps/crasher/index/0')).json as Row;
  const story = () => crashStory(steps(events.events));
  const crashes = () => steps(events.events).filter((s) => s.kind === 'crash').map((s) => s.kind === 'crash' && s.count);

  before(async () => {
    dir = tempDir();
    node = await startNode(dir.path, FAST_FLAGS);
    events = await SseClient.open(`${node.url}/v1/events?types=actual_lrp_crashed,actual_lrp_instance_changed`);
  });
  after(async () => {
    await events?.close();
    await call('DELETE', '/v1/desired_lrps/crasher').catch(() => undefined);
    expect(await node.stop()).to.equal(0);
    dir.remove();
  });

  it('refuses a bad crash_policy naming the field, storing nothing', async () => {
    const bad = await call('POST', '/v1/desired_lrps', crashingLrp({ backoff_ms: -1 }));
    expect([bad.status, bad.json.error]).to.deep.equal([400, { type: 'InvalidRequest', message: `invalid field: crash_policy.backoff_ms: must be in 0..${2 ** 31 - 1}, got -1` }]);
    const unordered = await call('POST', '/v1/desired_lrps', crashingLrp({ backoff_ms: 2000, max_backoff_ms: 1000 }));
    expect([unordered.status, unordered.json.error.message]).to.deep.equal([400, 'invalid field: crash_policy.backoff_ms: must be at most max_backoff_ms (1000), got 2000']);
    expect((await call('GET', '/v1/desired_lrps')).json).to.deep.equal([]);
  });

  it('/openapi.json describes it: the CrashPolicy component, in a DesiredLRP and in a PATCH', async () => {
    const schemas = (await call('GET', '/openapi.json')).json.components.schemas;
    expect(Object.keys(schemas.CrashPolicy.properties)).to.deep.equal(['immediate_restarts', 'backoff_ms', 'max_backoff_ms', 'max_restarts', 'reset_after_ms']);
    expect(schemas.DesiredLRP.properties.crash_policy).to.deep.equal({ $ref: '#/components/schemas/CrashPolicy' });
    expect(JSON.stringify(schemas.DesiredLRPUpdate.properties.crash_policy)).to.contain('#/components/schemas/CrashPolicy');
  });

  it('immediate_restarts 2, backoff_ms 1000, max_restarts 3: a restart at once, a 1 s CRASHED wait, then CRASHED for good; a PATCH applies from the next crash', async () => {
    const policy = { immediate_restarts: 2, backoff_ms: 1000, max_restarts: 3 };
    const created = await call('POST', '/v1/desired_lrps', crashingLrp(policy));
    expect(created.status, created.text).to.equal(201);
    expect(created.json.crash_policy, 'stored as given').to.deep.equal(policy);
    expect((await call('GET', '/v1/desired_lrps/crasher')).json.crash_policy).to.deep.equal(policy);

    await events.waitFor(() => story().after.length >= 3, 30_000);
    const first = story();
    expect(first.after, 'crash 1 restarts at once, crash 2 waits, crash 3 is final').to.deep.equal(['1:UNCLAIMED', '2:CRASHED', '3:CRASHED']);
    expect(first.waitsMs, 'one CRASHED wait (the node alone would have waited 400 ms, and only after crash 3)').to.have.length(1);
    expect(first.waitsMs[0]).to.be.within(1000, 1800);

    // given up: not restarted by the actor's timer nor by convergence (every 500 ms), though the node's flags would
    await consistently(async () => {
      expect(await row()).to.include({ state: 'CRASHED', crash_count: 3, instance_guid: '' });
      expect(crashes()).to.deep.equal([1, 2, 3]);
    }, { duration: 2500, interval: 250 });
    const shown = await node.run(['lrp', 'crasher']);
    expect(shown.stdout).to.match(/crash_policy:\s+immediate_restarts=2 backoff_ms=1000 max_restarts=3; the rest from the node's flags/);

    // a bad PATCH changes nothing
    const refused = await call('PATCH', '/v1/desired_lrps/crasher', { crash_policy: { max_restarts: 10_001 } });
    expect([refused.status, refused.json.error.message]).to.deep.equal([400, 'invalid field: crash_policy.max_restarts: must be in 0..10000, got 10001']);
    expect((await call('GET', '/v1/desired_lrps/crasher')).json.crash_policy).to.deep.equal(policy);

    // the new policy decides from now on: 5 crashes allowed, waits of 1.5 s
    const next = { immediate_restarts: 0, backoff_ms: 1500, max_restarts: 5 };
    const patched = await call('PATCH', '/v1/desired_lrps/crasher', { crash_policy: next });
    expect([patched.status, patched.json.crash_policy, patched.json.modification_tag.index]).to.deep.equal([200, next, 1]);
    await events.waitFor(() => story().after.length >= 5, 30_000);
    const second = story();
    expect(second.after.slice(3), 'crash 4 waits, crash 5 is final').to.deep.equal(['4:CRASHED', '5:CRASHED']);
    expect(second.waitsMs, 'the CRASHED row of crash 3 (due under the new policy), then crash 4').to.have.length(3);
    expect(second.waitsMs[2], 'crash 4 waits the new backoff_ms').to.be.within(1500, 2300);
    await consistently(async () => {
      expect(await row()).to.include({ state: 'CRASHED', crash_count: 5, instance_guid: '' });
      expect(crashes()).to.deep.equal([1, 2, 3, 4, 5]);
    }, { duration: 2500, interval: 250 });
    expect((await call('GET', '/v1/desired_lrps/crasher')).json.crash_policy).to.deep.equal(next);
  });
});
