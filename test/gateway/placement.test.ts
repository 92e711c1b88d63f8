/**
 * `GET /v1/actual_lrps/:guid/:index/placement` and `GET /v1/tasks/:guid/placement`: a gateway
 * built in-process on a control subtree with fake cells (memory engine, fake clock), driven with
 * `app.inject`. Work no cell fits is explained cell by cell, and the answer goes once it is placed.
 */
import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import { buildGateway } from '../../src/gateway/server.js';
import { silentLogger } from '../../src/base/logger.js';
import { eventually } from '../support/eventually.js';
import { FAKE_ROOTFS } from '../support/fake-cells.js';
import { lrpJson, startHarness, type Harness } from '../actors/control-harness.js';

describe('gateway: placement explanations', () => {
  let h: Harness;
  let app: FastifyInstance;
  const get = async (url: string) => {
    const response = await app.inject({ method: 'GET', url });
    return { status: response.statusCode, json: response.json() };
  };
  /** The answer once it is a 200 (the auction round runs in the background). */
  const explained = (url: string) => eventually(async () => {
    const answer = await get(url);
    expect(answer.status, JSON.stringify(answer.json)).to.equal(200);
    return answer.json;
  });

  beforeEach(async () => {
    h = startHarness();
    h.cells.add('small', { memory_mb: 2048 }, 'z1');
    h.cells.add('large', { memory_mb: 4096 }, 'z2');
    // a cell the work's (absent) placement tags rule out, however large
    h.cells.add('gpu', { memory_mb: 65_536 }, 'z1').presence.placement_tags = ['gpu'];
    h.cells.heartbeatAll();
    await eventually(async () => expect(await h.control.cells()).to.have.length(3));
    app = buildGateway({ node: 'control-1', control: h.control, system: h.system, log: silentLogger(), events: h.control.events });
  });
  afterEach(async () => {
    await app.close();
    await h.stop();
  });

  it("explains an instance larger than every cell: each cell with what it lacked, closest first", async () => {
    expect((await h.control.desireLrp(lrpJson('huge', { instances: 2, memory_mb: 8192, disk_mb: 64 }))).ok).to.equal(true);
    const answer = await explained('/v1/actual_lrps/huge/1/placement');
    expect(answer).to.include({ process_guid: 'huge', index: 1 });
    expect(answer.placement_error).to.match(/^insufficient resources: memory/);
    expect(answer.instance_guid).to.be.a('string').and.not.equal('');
    expect(answer.at).to.be.a('number').above(1e18);
    expect(answer.omitted_cells).to.equal(0);
    // large is short 4096 of its 4096 MB (1.0), small 6144 of 2048 (3.0); gpu is ruled out by its tags
    expect(answer.cells).to.deep.equal([
      { cell_id: 'large', zone: 'z2', lacked: ['memory'], shortfall: { memory_mb: 4096, disk_mb: 0, containers: 0 } },
      { cell_id: 'small', zone: 'z1', lacked: ['memory'], shortfall: { memory_mb: 6144, disk_mb: 0, containers: 0 } },
      { cell_id: 'gpu', zone: 'z1', lacked: ['placement_tags'], shortfall: { memory_mb: 0, disk_mb: 0, containers: 0 } },
    ]);
    // the row says the same failure (once the instance has journaled it, just after the round)
    await eventually(async () => {
      const row = (await get('/v1/actual_lrps/huge/index/1')).json;
      expect([row.state, row.placement_error]).to.deep.equal(['UNCLAIMED', answer.placement_error]);
    });
  });

  it('lists a cell that did not answer the round last, as unreachable', async () => {
    h.cells.get('gpu').unreachable = true;
    expect((await h.control.desireLrp(lrpJson('huge', { instances: 1, memory_mb: 8192 }))).ok).to.equal(true);
    const answer = await explained('/v1/actual_lrps/huge/0/placement');
    expect(answer.cells.map((c: { cell_id: string; zone: string; lacked: string[] }) => [c.cell_id, c.zone, c.lacked])).to.deep.equal([
      ['large', 'z2', ['memory']], ['small', 'z1', ['memory']], ['gpu', '', ['unreachable']],
    ]);
  });

  it('explains a task no cell fits, while it has no cell', async () => {
    const task = { task_guid: 'big-job', domain: 'jobs', rootfs: FAKE_ROOTFS, memory_mb: 3000, disk_mb: 20_000, action: { run: { path: '/bin/job', user: 'vcap' } } };
    expect((await h.control.desireTask(task)).ok).to.equal(true);
    const answer = await explained('/v1/tasks/big-job/placement');
    expect(answer.task_guid).to.equal('big-job');
    expect(answer).to.not.have.property('instance_guid');
    // Diego's text names what every cell lacked: not memory, which `large` has
    expect(answer.placement_error).to.match(/^insufficient resources: disk \(best candidate large is short 3616 MB of disk\)/);
    expect(answer.cells.map((c: { cell_id: string; lacked: string[]; shortfall: unknown }) => [c.cell_id, c.lacked, c.shortfall])).to.deep.equal([
      ['large', ['disk'], { memory_mb: 0, disk_mb: 3616, containers: 0 }],
      ['small', ['memory', 'disk'], { memory_mb: 952, disk_mb: 3616, containers: 0 }],
      ['gpu', ['placement_tags', 'disk'], { memory_mb: 0, disk_mb: 3616, containers: 0 }],
    ]);
  });

  it('answers 404 once the instance is placed, and for unknown work; 400 naming a bad index', async () => {
    expect((await h.control.desireLrp(lrpJson('web', { instances: 1, memory_mb: 8192 }))).ok).to.equal(true);
    await explained('/v1/actual_lrps/web/0/placement');
    // a cell that fits joins: the instance is auctioned again at once, placed and claimed
    const roomy = h.cells.add('roomy', { memory_mb: 16_384 }, 'z3');
    roomy.heartbeat();
    await eventually(() => expect(roomy.instance('web', 0)).to.not.equal(undefined));
    roomy.claim(roomy.instance('web', 0)!);
    await eventually(async () => {
      const gone = await get('/v1/actual_lrps/web/0/placement');
      expect([gone.status, gone.json.error]).to.deep.equal([404, { type: 'ResourceNotFound', message: 'placement failure of actual lrp web/0 not found' }]);
    });
    await eventually(() => expect(h.control.placements.size().lrps).to.equal(0));

    expect((await get('/v1/actual_lrps/nope/0/placement')).status).to.equal(404);
    expect((await get('/v1/tasks/nope/placement')).json.error).to.deep.equal({ type: 'ResourceNotFound', message: 'placement failure of task nope not found' });
    const bad = await get('/v1/actual_lrps/web/x/placement');
    expect([bad.status, bad.json.error]).to.deep.equal([400, { type: 'InvalidRequest', message: 'invalid field: index: "x" is not a whole number' }]);
  });

  it('answers 404 once a task is placed', async () => {
    const task = { task_guid: 'job', domain: 'jobs', rootfs: FAKE_ROOTFS, memory_mb: 8192, disk_mb: 64, action: { run: { path: '/bin/job', user: 'vcap' } } };
    expect((await h.control.desireTask(task)).ok).to.equal(true);
    expect((await explained('/v1/tasks/job/placement')).cells).to.have.length(3);
    // a cell that fits joins; the rejected task is auctioned again after taskRetryMs
    const roomy = h.cells.add('roomy', { memory_mb: 16_384 }, 'z3');
    await eventually(async () => {
      h.cells.heartbeatAll();
      await h.clock.advance(1000);
      expect(roomy.tasks.has('job')).to.equal(true);
    });
    await eventually(async () => expect((await get('/v1/tasks/job/placement')).status).to.equal(404));
    roomy.startTask('job');
    await eventually(() => expect(h.control.placements.size().tasks).to.equal(0));
  });
});
