import { expect } from 'chai';
import { decodeFrame } from '../../../src/runtime/remoting/codec.js';
import { DEFAULT_LIMITS } from '../../../src/runtime/remoting/options.js';
import { OutboundQueue } from '../../../src/runtime/remoting/outbound-queue.js';
import type { Envelope } from '../../../src/runtime/remoting/types.js';
import { remoteRef } from '../../../src/runtime/kernel/protocol.js';
import { ActorSystem } from '../../../src/runtime/kernel/system.js';
import { StaticNodeDirectory } from '../../../src/runtime/remoting/remote-directory.js';
import { attachRemoting } from '../../../src/runtime/remoting/remote-node.js';
import { noRejections } from '../../../src/runtime/remoting/rejections.js';
import type { Remoting } from '../../../src/runtime/remoting/types.js';
import { eventually } from '../../support/eventually.js';
import { envelope, startNode, type Node } from './harness.js';

const bulk = (i: number): Envelope => ({ to: '/bulk', type: 'test/bulk', correlation: i, body: Buffer.alloc(100, 1) });
const beat = (i: number): Envelope => ({ to: '/cluster', type: 'cluster/heartbeat', correlation: i, body: Buffer.from('beat') });

function correlations(frame: Buffer): number[] {
  const decoded = decodeFrame(frame);
  if (decoded.kind !== 'batch') throw new Error('not a batch');
  return decoded.envelopes.map((e) => e.correlation!);
}

describe('remoting priority lane', function () {
  describe('in the outbound queue', () => {
    it('accepts a priority envelope when the bulk queue is at its bound', () => {
      const queue = new OutboundQueue({ ...DEFAULT_LIMITS, maxQueueEnvelopes: 20, batchEnvelopes: 5 });
      for (let i = 0; i < 20; i++) expect(queue.push(bulk(i))).to.equal(true);
      expect(queue.push(bulk(20))).to.equal(false);
      expect(queue.pushPriority(beat(1))).to.equal(true);
      expect(queue.priorityEnvelopes).to.equal(1);
    });

    it('takes priority envelopes before any queued bulk batch, then the bulk ones in order', () => {
      const queue = new OutboundQueue({ ...DEFAULT_LIMITS, batchEnvelopes: 5 });
      for (let i = 0; i < 50; i++) queue.push(bulk(i)); // 10 sealed batches waiting
      queue.pushPriority(beat(1001));
      queue.pushPriority(beat(1002));
      expect(correlations(queue.take()!.frame)).to.deep.equal([1001, 1002]);
      const rest: number[] = [];
      for (let next = queue.take(); next; next = queue.take()) rest.push(...correlations(next.frame));
      expect(rest).to.deep.equal([...Array(50).keys()]);
      expect(queue.isEmpty).to.equal(true);
    });

    it('bounds the priority lane on its own, and clears both lanes', () => {
      const queue = new OutboundQueue({ ...DEFAULT_LIMITS, maxPriorityEnvelopes: 3 });
      expect([0, 1, 2, 3].map((i) => queue.pushPriority(beat(i)))).to.deep.equal([true, true, true, false]);
      queue.push(bulk(0));
      expect(queue.isEmpty).to.equal(false);
      expect(queue.clear()).to.equal(4);
      expect(queue.isEmpty).to.equal(true);
    });
  });

  describe('between two nodes', () => {
    const opened: Node[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((n) => n.remoting.close()));
    });

    it('delivers a heartbeat sent after a full bulk queue, and before every queued bulk batch', async () => {
      const first = await startNode('b');
      const address = first.remoting.self.address;
      await first.remoting.close(); // nobody listens there yet: the bulk queue fills
      const a = await startNode('a', { limits: { maxQueueEnvelopes: 100, batchEnvelopes: 10, backoffMaxMs: 200 } });
      opened.push(a);
      for (let i = 0; i < 100; i++) expect(a.remoting.sendTo(address, envelope(i, { correlation: i }))).to.equal(true);
      expect(a.remoting.sendTo(address, envelope(100, { correlation: 100 }))).to.equal(false); // bulk is full
      expect(a.remoting.sendTo(address, envelope(999, { correlation: 999, type: 'cluster/heartbeat' }), { priority: true })).to.equal(true);

      const b = await startNode('b', { listen: { host: '127.0.0.1', port: Number(address.split(':').pop()) } });
      opened.push(b);
      await eventually(() => expect(b.received).to.have.length(101));
      expect(b.received.map((r) => r.envelope.correlation)).to.deep.equal([999, ...Array(100).keys()]);
      expect(a.remoting.stats()).to.include({ dropped: 1, sent: 101 });
    });
  });

  describe('from the actor kernel', () => {
    it('sends a message dispatched with { priority: true } to a remote ref in the priority lane, others in bulk', async () => {
      const system = ActorSystem.start({ name: `lane-${process.pid}-${Date.now()}` });
      const sent: Array<{ type: string; priority: boolean }> = [];
      const recording: Remoting = {
        self: { name: system.name, incarnation: 1, address: 'self:1' },
        sendTo: (_address, e, options) => (sent.push({ type: e.type, priority: options?.priority === true }), true),
        onEnvelope: () => () => undefined,
        onPeer: () => () => undefined,
        stats: () => ({ sent: 0, received: 0, dropped: 0, malformed: 0, rejected: noRejections() }),
        close: async () => undefined,
      };
      const remote = attachRemoting(system, recording, new StaticNodeDirectory([{ name: 'b', incarnation: 1, address: 'b:1' }]));
      try {
        const ref = remoteRef<{ type: string }>('b', '/sink');
        system.dispatch(ref, { type: 'test/bulk' });
        system.dispatch(ref, { type: 'test/beat' }, { priority: true });
        expect(sent).to.deep.equal([{ type: 'test/bulk', priority: false }, { type: 'test/beat', priority: true }]);
      } finally {
        remote.detach();
        await system.shutdown();
      }
    });
  });
});
