/**
 * A standby down, then catching up under write load, across real processes (issue 16's chaos
 * case, short form; real etcd): three `auctor start --roles control --etcd` nodes with
 * `--sync-standbys 1`, writers desiring LRPs through the active throughout. One standby is
 * killed (-9) and the writes go on (the other standby is the synchronous one); started again on
 * its data it catches up, from the retained tail, or, down for longer than the tail
 * (`--replication-retain-entries`), from a copy of the store. Then the other standby is killed:
 * the writes still go on, so the one that came back counts as synchronous again. Last the active
 * is killed: the new active lists every desire ever answered 201.
 */
import { expect } from 'chai';
import { eventually } from '../support/eventually.js';
import { withEtcd } from '../support/etcd.js';
import { controlGroupNodes } from '../support/control-group-nodes.js';
import { http, webLrp, type NodeProcess } from '../support/gateway-node.js';

const TTL_MS = 2000;
const WRITERS = 6;
/** the retained tail when the standby must get a copy: it misses more entries than this */
const SHORT_TAIL = 20;

/** Writers desiring LRPs through `target()` until stopped, or until it does not answer. */
function desireLoad(target: () => NodeProcess) {
  const acked = new Set<string>();
  let writing = true;
  const loops = Array.from({ length: WRITERS }, async (_, w) => {
    for (let i = 0; writing; i++) {
      const guid = `w${w}-${i}`;
      const answer = await http(target().url, 'POST', '/v1/desired_lrps', webLrp(guid, 1)).catch(() => undefined);
      if (!answer) return;
      if (answer.status === 201) acked.add(guid);
    }
  });
  return {
    acked,
    /** until `more` desires were acknowledged from now on */
    more: async (more: number) => {
      const from = acked.size;
      await eventually(() => expect(acked.size).to.be.at.least(from + more), { timeout: 30_000, interval: 20 });
    },
    stop: async () => {
      writing = false;
      await Promise.all(loops);
    },
  };
}

const caughtUp = (node: NodeProcess, primary: string) => node.logs.some((l) => l.msg === 'replication.caught-up' && l.primary === primary);

for (const { how, args, copy } of [
  { how: 'from the retained tail', args: [], copy: false },
  { how: `from a copy of the store (down longer than --replication-retain-entries ${SHORT_TAIL})`, args: ['--replication-retain-entries', String(SHORT_TAIL)], copy: true },
]) {
  describe(`a standby down under write load catches up ${how} (real etcd)`, function () {
    this.timeout(120_000);
    const etcd = withEtcd(this);
    const { start, leaderOf, forget } = controlGroupNodes(etcd, { syncStandbys: 1, ttlMs: TTL_MS, args });

    it('3 nodes, --sync-standbys 1: the writes go on while it is down, it becomes synchronous again, and a failover after it loses no acknowledged desire', async () => {
      const a = await start('cg-a');
      await eventually(async () => expect((await leaderOf(a)).name).to.equal('cg-a'), { timeout: 10_000, interval: 50 });
      let b = await start('cg-b', a);
      let c = await start('cg-c', a);
      for (const node of [b, c]) await eventually(() => expect(caughtUp(node, 'cg-a')).to.equal(true), { timeout: 10_000, interval: 50 });
      const term = (await leaderOf(a)).term;
      const load = desireLoad(() => a);
      try {
        await load.more(20);

        // b down: c alone acknowledges, and the writes go on
        await b.kill9();
        forget(b);
        await load.more(2 * SHORT_TAIL);
        b = await start('cg-b', a);
        await eventually(() => expect(caughtUp(b, 'cg-a')).to.equal(true), { timeout: 20_000, interval: 50 });
        const copied = b.logs.some((l) => l.msg === 'replication.received-copy');
        const neededCopy = a.logs.some((l) => l.msg === 'replication.standby-needs-copy' && l.standby === 'cg-b');
        expect({ copied, neededCopy }).to.deep.equal({ copied: copy, neededCopy: copy });

        // c down: b is the only standby left, so a write acknowledged now is on b: it is synchronous again
        await c.kill9();
        forget(c);
        await load.more(20);
        c = await start('cg-c', a);
        await eventually(() => expect(caughtUp(c, 'cg-a')).to.equal(true), { timeout: 20_000, interval: 50 });
        await load.more(10);

        // the active killed under load: every 201 it gave is on the new active
        await a.kill9();
        forget(a);
      } finally {
        await load.stop();
      }
      const leader = await eventually(async () => {
        const seen = await leaderOf(b);
        expect(seen.term).to.be.above(term);
        return seen;
      }, { timeout: TTL_MS + 5000, interval: 20 });
      const next = leader.name === 'cg-b' ? b : c;
      await eventually(async () => expect((await http(next.url, 'POST', '/v1/desired_lrps', webLrp('after', 1))).status).to.equal(201), { timeout: 15_000, interval: 50 });
      const answer = await http(next.url, 'GET', '/v1/desired_lrps');
      const held = new Set((answer.json as Array<{ process_guid: string }>).map((lrp) => lrp.process_guid));
      expect([...load.acked].filter((guid) => !held.has(guid)), `acknowledged, absent from ${next.name}`).to.deep.equal([]);
      console.log(`      ${load.acked.size} desires acknowledged, 0 lost; ${next.name} leads after the kill of cg-a`);
    });
  });
}
