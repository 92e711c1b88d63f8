/**
 * Chaos, short form (issue 16): kill -9 of the active under write load, in a loop. Each round a
 * standby leads within TTL + 2 s with a higher term, and the killed node, started again on its
 * data, rejoins as a standby of the new active. (What the acknowledged writes hold after each
 * failover is the journal shipping's part.)
 */
import { expect } from 'chai';
import { eventually } from '../support/eventually.js';
import { withEtcd } from '../support/etcd.js';
import { http, startNode, type NodeProcess } from '../support/gateway-node.js';
import { tempDir } from '../support/temp-dir.js';

const ROUNDS = 3;
const TTL_MS = 2000;

describe('control group chaos: kill -9 of the active in a loop (real etcd)', function () {
  this.timeout(120_000);
  const etcd = withEtcd(this);
  const live = new Set<NodeProcess>();
  const dirs: Array<ReturnType<typeof tempDir>> = [];
  afterEach(async () => {
    await Promise.all([...live].map((n) => n.kill9()));
    live.clear();
    for (const dir of dirs.splice(0)) dir.remove();
  });

  const start = async (name: string, data: string, join?: NodeProcess) => {
    // two nodes: with --sync-standbys 1 the first active (no standby yet) and the survivor of a
    // failover acknowledge nothing until a standby is back (docs/054); one synchronous standby
    // is control-group-shipping.test.ts's
    const node = await startNode(data, ['--roles', 'control', '--name', name, '--router', 'off', '--log-format', 'json', '--sync-standbys', '0', '--etcd', etcd.current().endpoint, '--leader-ttl-ms', String(TTL_MS), ...(join ? ['--join', join.listen] : [])]);
    live.add(node);
    return node;
  };
  const leaderOf = async (node: NodeProcess) => {
    const answer = await http(node.url, 'GET', '/v1/leader');
    expect(answer.status, answer.text).to.equal(200);
    return answer.json as { name: string; term: number };
  };

  it(`${ROUNDS} rounds: a standby leads within TTL + 2 s, the killed node rejoins as a standby`, async () => {
    const data = { 'cg-a': tempDir(), 'cg-b': tempDir() };
    dirs.push(...Object.values(data));
    let active = await start('cg-a', data['cg-a'].path);
    await eventually(async () => expect((await http(active.url, 'PUT', '/v1/domains/d', { ttl: 0 })).status).to.equal(204), { timeout: 10_000, interval: 50 });
    let standby = await start('cg-b', data['cg-b'].path, active);
    let term = (await eventually(() => leaderOf(standby), { timeout: 5000, interval: 50 })).term;
    const failovers: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // write load on the active until it is killed
      let writing = true;
      let acknowledged = 0;
      const target = active;
      const writer = (async () => {
        for (let i = 0; writing; i++) {
          const answer = await http(target.url, 'PUT', `/v1/domains/r${round}-${i % 20}`, { ttl: 0 }).catch(() => undefined);
          if (!answer) return;
          if (answer.status === 204) acknowledged++;
        }
      })();
      await eventually(() => expect(acknowledged).to.be.above(10), { timeout: 10_000 });
      const killedAt = Date.now();
      await active.kill9();
      live.delete(active);
      writing = false;
      await writer;
      await eventually(async () => expect((await http(standby.url, 'PUT', '/v1/domains/after', { ttl: 0 }).catch(() => undefined))?.status).to.equal(204), { timeout: TTL_MS + 2000, interval: 20 });
      failovers.push(Date.now() - killedAt);
      const now = await leaderOf(standby);
      expect(now.name).to.equal(standby.name);
      expect(now.term).to.be.above(term);
      term = now.term;
      // the killed node, started again on its data, is a standby of the new active
      const killed = active.name as 'cg-a' | 'cg-b';
      const back = await start(killed, data[killed].path, standby);
      await eventually(async () => expect(await leaderOf(back)).to.deep.include({ name: standby.name, term }), { timeout: 5000, interval: 50 });
      expect((await http(back.url, 'PUT', '/v1/domains/x', { ttl: 0 })).status).to.equal(307);
      [active, standby] = [standby, back];
    }
    console.log(`      failovers at --leader-ttl-ms ${TTL_MS}: ${failovers.join(', ')} ms`);
  });
});
