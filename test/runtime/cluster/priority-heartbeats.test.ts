import { expect } from 'chai';
import { Membership } from '../../../src/runtime/cluster/membership.js';
import type { Remoting } from '../../../src/runtime/remoting/types.js';
import { eventsAbout, TestCluster } from './cluster-support.js';

describe('membership under bulk traffic', () => {
  it('a node whose bulk queues are all full still heartbeats: its peers keep it up, never suspect', async () => {
    const cluster = new TestCluster();
    const a = cluster.start('a', { roles: ['control'] });
    // b's remoting refuses whatever is not sent in the priority lane, as a bulk queue at its bound does
    const endpoint = cluster.hub.endpoint('b', { incarnation: 1, address: 'b:7777' });
    const fullBulk: Pick<Remoting, 'self' | 'sendTo' | 'onEnvelope'> = {
      self: endpoint.self,
      onEnvelope: (handler) => endpoint.onEnvelope(handler),
      sendTo: (address, envelope, options) => (options?.priority ? endpoint.sendTo(address, envelope) : false),
    };
    const b = new Membership({ remoting: fullBulk, roles: ['cell'], seeds: ['a:7777'], clock: cluster.clock, random: () => 0.5 });
    b.start();
    try {
      await cluster.advance(30_000);
      expect(b.status).to.equal('up');
      expect(a.membership.member('b')?.status).to.equal('up');
      expect(eventsAbout(a, 'b')).to.deep.equal(['member-up@1']);
      expect(a.membership.stats().suspicions).to.equal(0);
    } finally {
      b.stop();
      cluster.stopAll();
    }
  });
});
