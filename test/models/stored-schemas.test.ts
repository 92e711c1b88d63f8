/**
 * The stored models' schemas (`DesiredLRP`, `Task`, `ActualLRP`, `Event`) describe what the
 * server stores and answers: every defaulted field present, none null. (What a request schema
 * accepts against its validator is schemas.test.ts.)
 */
import { expect } from 'chai';
import { normalizeDesiredLrp, validateDesiredLrp } from '../../src/models/desired-lrp.js';
import { Events, EVENT_TYPES } from '../../src/models/events.js';
import { MODEL_SCHEMAS } from '../../src/models/schemas.js';
import { normalizeTask, validateTask } from '../../src/models/task.js';
import { componentValidators } from '../support/json-schema.js';
import { TAG, T0, buildActualLrp, buildDesiredLrp, buildTask, desiredLrpRequest, taskRequest } from './builders.js';

const schema = componentValidators(MODEL_SCHEMAS);
const accepts = (name: string, value: unknown): boolean => schema(name)(value) as boolean;
const run = { run: { path: '/bin/app', user: 'vcap' } };
const tcp = (port: unknown) => ({ tcp_check: { port } });

const buildActualLrpSamples = () => [
  buildActualLrp({ state: 'CLAIMED' }),
  buildActualLrp({ state: 'RUNNING', routable: true, availability_zone: 'z1', instance_address: '10.255.0.2' }),
  buildActualLrp({ state: 'CRASHED', crash_count: 2, crash_reason: 'exit 1' }),
  buildActualLrp({ state: 'UNCLAIMED', placement_error: 'insufficient resources: memory' }),
  buildActualLrp({ state: 'RUNNING', presence: 'EVACUATING' }),
  buildActualLrp({ state: 'CLAIMED', presence: 'SUSPECT' }),
];

describe('stored model schemas describe what the server stores', () => {
  it('a stored DesiredLRP, with and without its optional fields', () => {
    const full = desiredLrpRequest({
      setup: run, monitor: run, check_definition: { checks: [tcp(8080)] }, ports: [8080], routes: { 'cf-router': [] },
      env: [{ name: 'A' }], log_guid: 'l', metrics_guid: 'm', metric_tags: { i: { dynamic: 'INDEX' } }, annotation: 'a', placement_tags: ['x'],
      crash_policy: { max_restarts: 3, backoff_ms: 1000 },
    });
    for (const request of [desiredLrpRequest(), full]) {
      const result = validateDesiredLrp(request);
      if (!result.ok) throw result.error;
      expect(accepts('DesiredLRP', normalizeDesiredLrp(result.value, TAG)), JSON.stringify(schema('DesiredLRP').errors)).to.equal(true);
    }
    expect(accepts('DesiredLRP', buildDesiredLrp())).to.equal(true);
    const { modification_tag: _, ...untagged } = buildDesiredLrp();
    expect(accepts('DesiredLRP', untagged), 'without modification_tag').to.equal(false);
    expect(accepts('DesiredLRP', { ...buildDesiredLrp(), ports: null }), 'a null default').to.equal(false);
  });

  it('a stored Task in each state', () => {
    const result = validateTask(taskRequest({ completion_callback_url: 'http://x/cb', annotation: 'a' }));
    if (!result.ok) throw result.error;
    expect(accepts('Task', normalizeTask(result.value, T0)), JSON.stringify(schema('Task').errors)).to.equal(true);
    for (const state of ['PENDING', 'RUNNING', 'COMPLETED', 'RESOLVING'] as const) expect(accepts('Task', buildTask({ state })), state).to.equal(true);
    expect(accepts('Task', { ...buildTask(), state: 'DONE' })).to.equal(false);
    expect(accepts('Task', { ...buildTask(), created_at: undefined })).to.equal(false);
  });

  it('ActualLRPs in each state and presence', () => {
    for (const actual of buildActualLrpSamples()) expect(accepts('ActualLRP', actual), JSON.stringify(schema('ActualLRP').errors)).to.equal(true);
    expect(accepts('ActualLRP', { ...buildActualLrpSamples()[0], presence: 'GONE' })).to.equal(false);
  });

  it('every event type', () => {
    const desired = buildDesiredLrp();
    const [before, after] = buildActualLrpSamples();
    const presence = { cell_id: 'c', rep_address: '127.0.0.1:7777', rep_url: '', zone: 'z1', capacity: { memory_mb: 1, disk_mb: 1, containers: 1 }, rootfs_providers: [], placement_tags: [], optional_placement_tags: [] };
    const events = [
      Events.desiredLrpCreated(desired), Events.desiredLrpChanged(desired, desired), Events.desiredLrpRemoved(desired),
      Events.actualLrpCreated(before!), Events.actualLrpChanged(before!, after!), Events.actualLrpRemoved(after!), Events.actualLrpCrashed(before!, after!),
      Events.taskCreated(buildTask()), Events.taskChanged(buildTask(), buildTask()), Events.taskRemoved(buildTask()),
      Events.cellAppeared(presence), Events.cellDisappeared('c'),
    ];
    expect(events.map((e) => e.type)).to.deep.equal(EVENT_TYPES);
    for (const event of events) expect(accepts('Event', event), `${event.type}: ${JSON.stringify(schema('Event').errors?.slice(0, 3))}`).to.equal(true);
    expect(accepts('Event', { type: 'task_created', data: { desired_lrp: desired } }), 'data of another type').to.equal(false);
  });
});
