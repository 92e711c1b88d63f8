/**
 * Chaos, short form (issue 16): kill -9 of the active under write load, in a loop. Each round a
 * standby leads within TTL + 2 s with a higher term, and the killed node, started again on its
 * data, rejoins as a standby of the new active. (What the acknowledged writes hold after each
 * failover is the journal shipping's part.)
 */
import { expect } from 'chai';
import { eventually } from '../support/eventually.js';
import { withEtcd } from '../support/etcd.js';
import { controlGroupNodes } from '../support/control-group-nodes.js';
import { http } from '../support/gateway-node.js';

const ROUNDS = 3;
const TTL_MS = 2000;

describe('control group chaos: kill -9 of the active in a loop (real etcd)', function () {
  this.timeout(120_000);
  const etcd = withEtcd(this);
  // two nodes: with --sync-standbys 1 the first active (no standby yet) and the survivor of a
  // failover acknowledge nothing until a standby is back (docs/054); one synchronous standby
  // is control-group-shipping.test.ts's
  const { start, leaderOf, forget } = controlGroupNodes(etcd, { syncStandbys: 0, ttlMs: TTL_MS });

  it(`${ROUNDS} rounds: a standby leads within TTL + 2 s, the killed node rejoins as a standby`, async () => {
    let active = await start('cg-a');
    await eventually(async () => expect((await http(active.url, 'PUT', '/v1/domains/d', { ttl: 0 })).status).to.equal(204), { timeout: 10_000, interval: 50 });
    let standby = await start('cg-b', active);
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
      forget(active);
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
      const back = await start(killed, standby);
      await eventually(async () => expect(await leaderOf(back)).to.deep.include({ name: standby.name, term }), { timeout: 5000, interval: 50 });
      expect((await http(back.url, 'PUT', '/v1/domains/x', { ttl: 0 })).status).to.equal(307);
      [active, standby] = [standby, back];
    }
    console.log(`      failovers at --leader-ttl-ms ${TTL_MS}: ${failovers.join(', ')} ms`);
  });
});
