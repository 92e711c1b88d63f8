/**
 * `GET /v1/actual_lrps/:guid/:index/timeline`: a gateway built in-process on a control subtree
 * with fake cells (memory engine, fake clock), driven with `app.inject`. A crashing instance's
 * life reads back from its journal: placed, claimed, running, crashed with its reason and, once
 * the crash policy waits, when it restarts.
 */
import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import { buildGateway } from '../../src/gateway/server.js';
import { silentLogger } from '../../src/base/logger.js';
import { eventually } from '../support/eventually.js';
import { lrpJson, startHarness, type Harness } from '../actors/control-harness.js';

const MS = 1_000_000;
type Entry = { at: number; kind: string; instance_guid: string; cell_id: string; detail: string; crash_count?: number; restart_at?: number };

describe('gateway: instance timelines', () => {
  let h: Harness;
  let app: FastifyInstance;
  const get = async (url: string) => {
    const response = await app.inject({ method: 'GET', url });
    return { status: response.statusCode, json: response.json() };
  };
  const entries = async (query = ''): Promise<Entry[]> => {
    const answer = await get(`/v1/actual_lrps/web/0/timeline${query}`);
    expect(answer.status, JSON.stringify(answer.json)).to.equal(200);
    return answer.json.entries as Entry[];
  };
  const cell = () => h.cells.get('cell-1');
  /** Waits for the instance's placement on the cell, then claims it and runs it. */
  const placeAndRun = async () => {
    await eventually(() => expect(cell().instance('web', 0)).to.not.equal(undefined));
    const work = cell().instance('web', 0)!;
    cell().claim(work);
    cell().run(work);
    await eventually(async () => expect((await h.control.actualLrps({ process_guid: 'web' }))[0]).to.include({ state: 'RUNNING', instance_guid: work.instance_guid }));
    return work.instance_guid;
  };
  const crash = async (n: number, reason: string) => {
    cell().crash(cell().instance('web', 0)!, reason);
    await eventually(async () => expect((await h.control.actualLrps({ process_guid: 'web' }))[0]!.crash_count).to.equal(n));
  };

  beforeEach(async () => {
    h = startHarness();
    h.cells.add('cell-1');
    h.cells.heartbeatAll();
    await eventually(async () => expect(await h.control.cells()).to.have.length(1));
    app = buildGateway({ node: 'control-1', control: h.control, system: h.system, log: silentLogger(), events: h.control.events });
    // one immediate restart, then a 60 s wait
    expect((await h.control.desireLrp(lrpJson('web', { instances: 1, crash_policy: { immediate_restarts: 2, backoff_ms: 60_000 } }))).ok).to.equal(true);
  });
  afterEach(async () => {
    await app.close();
    await h.stop();
  });

  it("shows a crashing instance's placements, claims, runs and crashes, with the reason and when it restarts", async () => {
    const first = await placeAndRun();
    await crash(1, 'exited with status 3');
    const second = await placeAndRun();
    await crash(2, 'out of memory');
    const timeline = await entries();
    expect(timeline.map((e) => [e.kind, e.instance_guid, e.cell_id, e.detail])).to.deep.equal([
      ['unclaimed', first, '', ''],
      ['claimed', first, 'cell-1', ''],
      ['running', first, 'cell-1', ''],
      ['crashed', first, 'cell-1', 'exited with status 3'],
      ['unclaimed', second, '', ''],
      ['claimed', second, 'cell-1', ''],
      ['running', second, 'cell-1', ''],
      ['crashed', second, 'cell-1', 'out of memory'],
    ]);
    const [firstCrash, lastCrash] = timeline.filter((e) => e.kind === 'crashed');
    // restarted at once: no wait; the second waits backoff_ms from the crash
    expect(firstCrash).to.include({ crash_count: 1 }).and.not.have.property('restart_at');
    expect(lastCrash).to.include({ crash_count: 2, restart_at: lastCrash!.at + 60_000 * MS });
    const row = (await get('/v1/actual_lrps/web/index/0')).json;
    expect([row.state, row.since]).to.deep.equal(['CRASHED', lastCrash!.at]);
    for (let i = 1; i < timeline.length; i++) expect(timeline[i]!.at).to.be.at.least(timeline[i - 1]!.at);

    // the last `limit`, oldest first
    expect((await entries('?limit=2')).map((e) => e.kind)).to.deep.equal(['running', 'crashed']);
    expect(await entries('?limit=1000')).to.deep.equal(timeline);
  });

  it('shows a retired instance and the one that replaced it', async () => {
    const first = await placeAndRun();
    expect((await app.inject({ method: 'DELETE', url: '/v1/actual_lrps/web/index/0' })).statusCode).to.equal(204);
    const second = await placeAndRun();
    expect((await entries()).map((e) => [e.kind, e.instance_guid])).to.deep.equal([
      ['unclaimed', first], ['claimed', first], ['running', first],
      ['retired', first],
      ['unclaimed', second], ['claimed', second], ['running', second],
    ]);
  });

  it("shows an unplaceable instance's failed placement with the auction's error", async () => {
    expect((await h.control.desireLrp(lrpJson('huge', { instances: 1, memory_mb: 8192 }))).ok).to.equal(true);
    const timeline = await eventually(async () => {
      const answer = await get('/v1/actual_lrps/huge/0/timeline');
      expect(answer.json.entries).to.have.length(2);
      return answer.json.entries as Entry[];
    });
    const asked = timeline[0]!.instance_guid;
    expect(timeline.map((e) => [e.kind, e.instance_guid, e.cell_id])).to.deep.equal([['unclaimed', asked, ''], ['placement_failed', asked, '']]);
    expect(timeline[1]!.detail).to.equal('insufficient resources: memory (best candidate cell-1 is short 4096 MB of memory)');
  });

  it('answers 404 for an unknown LRP or an index it does not have, 400 naming a bad index or limit', async () => {
    const notFound = await get('/v1/actual_lrps/nope/0/timeline');
    expect([notFound.status, notFound.json.error]).to.deep.equal([404, { type: 'ResourceNotFound', message: 'actual lrp nope/0 not found' }]);
    expect((await get('/v1/actual_lrps/web/1/timeline')).status).to.equal(404);
    // a guid spelt like the `index` of `/:process_guid/index/:index` still reaches this route
    expect((await get('/v1/actual_lrps/index/0/timeline')).json.error.message).to.equal('actual lrp index/0 not found');
    const cases: Array<[string, string]> = [
      ['/v1/actual_lrps/web/-1/timeline', 'invalid field: index: "-1" is not a whole number'],
      ['/v1/actual_lrps/web/0/timeline?limit=0', 'invalid field: limit: must be in 1..1000, got 0'],
      ['/v1/actual_lrps/web/0/timeline?limit=1001', 'invalid field: limit: must be in 1..1000, got 1001'],
      ['/v1/actual_lrps/web/0/timeline?limit=ten', 'invalid field: limit: "ten" is not a whole number'],
    ];
    for (const [url, message] of cases) {
      const bad = await get(url);
      expect([bad.status, bad.json.error], url).to.deep.equal([400, { type: 'InvalidRequest', message }]);
    }
  });
});
