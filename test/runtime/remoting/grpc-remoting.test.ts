import { expect } from 'chai';
import { startRemoting } from '../../../src/runtime/remoting/grpc-remoting.js';
import { consistently, eventually } from '../../support/eventually.js';
import { envelope, RecordingLog, startNode, type Node } from './harness.js';

describe('gRPC remoting between two nodes', function () {
  const opened: Node[] = [];
  const node = async (...args: Parameters<typeof startNode>) => {
    const n = await startNode(...args);
    opened.push(n);
    return n;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((n) => n.remoting.close()));
  });

  it('delivers an envelope with every field intact, from the authenticated sender', async () => {
    const a = await node('a');
    const b = await node('b');
    const sent = { to: '/control/lrps', from: '/cell/rep', correlation: 2 ** 40 + 7, type: 'lrps/desire', body: Buffer.from([0x01]), shape: ['x'] };
    expect(a.remoting.sendTo(b.remoting.self.address, sent)).to.equal(true);
    await eventually(() => expect(b.received).to.have.length(1));
    const { envelope: got, from } = b.received[0]!;
    expect({ ...got, body: Buffer.from(got.body) }).to.deep.equal(sent);
    expect(from).to.deep.equal(a.remoting.self);
    expect(b.peerEvents).to.deep.equal([{ type: 'up', peer: a.remoting.self }]);
    expect(a.peerEvents).to.deep.equal([{ type: 'up', peer: b.remoting.self }]);
  });

  it('leaves optional fields out when they were not sent', async () => {
    const a = await node('a');
    const b = await node('b');
    a.remoting.sendTo(b.remoting.self.address, envelope(1));
    await eventually(() => expect(b.received).to.have.length(1));
    expect(b.received[0]!.envelope).to.not.have.any.keys('from', 'correlation');
  });

  it('delivers 10 000 envelopes in send order and counts them on both sides', async () => {
    const a = await node('a');
    const b = await node('b');
    for (let i = 0; i < 10_000; i++) {
      expect(a.remoting.sendTo(b.remoting.self.address, envelope(i, { correlation: i, to: `/actor-${i % 7}` }))).to.equal(true);
    }
    await eventually(() => expect(b.received).to.have.length(10_000), { timeout: 10_000 });
    expect(b.received.map((r) => r.envelope.correlation)).to.deep.equal([...Array(10_000).keys()]);
    expect(b.received.every(({ envelope: e }) => e.to === `/actor-${e.correlation! % 7}` && Buffer.from(e.body).toString() === `message ${e.correlation}`)).to.equal(true);
    expect(a.remoting.stats()).to.include({ sent: 10_000, dropped: 0 });
    expect(b.remoting.stats()).to.include({ received: 10_000, malformed: 0 });
  });

  it('carries replies the other way on the stream the other node dials', async () => {
    const a = await node('a');
    const b = await node('b');
    b.remoting.onEnvelope((e, from) => {
      b.remoting.sendTo(from.address, { to: e.from!, correlation: e.correlation, type: 'test/reply', body: e.body });
    });
    for (let i = 0; i < 100; i++) a.remoting.sendTo(b.remoting.self.address, envelope(i, { from: '/asker', correlation: i }));
    await eventually(() => expect(a.received).to.have.length(100));
    expect(a.received.map((r) => r.envelope.correlation)).to.deep.equal([...Array(100).keys()]);
    expect(a.received.every((r) => r.envelope.to === '/asker' && r.from.name === 'b')).to.equal(true);
    // one stream each way, but each node sees the other come up once
    expect(a.peerEvents).to.deep.equal([{ type: 'up', peer: b.remoting.self }]);
    expect(b.peerEvents).to.deep.equal([{ type: 'up', peer: a.remoting.self }]);
  });

  it('keeps delivering when a handler throws', async () => {
    const a = await node('a');
    const b = await node('b');
    b.remoting.onEnvelope(() => {
      throw new Error('handler bug');
    });
    for (let i = 0; i < 3; i++) a.remoting.sendTo(b.remoting.self.address, envelope(i));
    await eventually(() => expect(b.received).to.have.length(3));
    expect(b.log.events().filter((e) => e === 'remoting.handler-failed')).to.have.length(3);
  });

  it('refuses a peer holding another secret: no up, nothing delivered, both sides log it', async () => {
    const a = await node('a', { secret: 'one secret' });
    const b = await node('b', { secret: 'another secret' });
    for (let i = 0; i < 10; i++) a.remoting.sendTo(b.remoting.self.address, envelope(i));
    await eventually(() => {
      expect(a.log.events()).to.include('remoting.handshake-refused');
      expect(b.log.events()).to.include('remoting.handshake-refused');
    });
    const refusedAt = b.log.lines.find((l) => l.event === 'remoting.handshake-refused')!;
    expect(refusedAt.fields.claimed).to.deep.include({ name: 'a' });
    await consistently(() => {
      expect(b.received).to.have.length(0);
      expect(a.peerEvents).to.have.length(0);
      expect(b.peerEvents).to.have.length(0);
    }, { duration: 500, interval: 50 });
  });

  it('refuses to listen beyond loopback without a cluster secret', async () => {
    const log = new RecordingLog();
    let error: unknown;
    try {
      await startRemoting({ self: { name: 'x', incarnation: 1 }, listen: { host: '0.0.0.0', port: 0 }, log });
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.match(/cluster secret is required/);
  });

  it('drops with a count once a peer’s queue is full, in envelopes and in bytes', async () => {
    const reserved = await node('reserved');
    const address = reserved.remoting.self.address;
    await reserved.remoting.close(); // nobody listens there now
    const a = await node('a', { limits: { maxQueueEnvelopes: 100, maxQueueBytes: 64 * 1024 } });
    const accepted = Array.from({ length: 1000 }, (_, i) => a.remoting.sendTo(address, envelope(i)));
    expect(accepted.filter(Boolean)).to.have.length(100);
    expect(accepted.slice(0, 100).every(Boolean)).to.equal(true);
    expect(a.remoting.stats()).to.include({ dropped: 900, sent: 0 });

    const b = await node('b', { limits: { maxQueueEnvelopes: 100, maxQueueBytes: 64 * 1024 } });
    const big = Array.from({ length: 20 }, (_, i) => b.remoting.sendTo(address, envelope(i, { body: Buffer.alloc(10_000) })));
    expect(big.filter(Boolean)).to.have.length(6); // 6 × ~10 KB fit in 64 KiB, the 7th does not
    expect(b.remoting.stats().dropped).to.equal(14);
  });

  it('delivers what was queued, in order, once an unreachable peer starts', async () => {
    const first = await node('b');
    const address = first.remoting.self.address;
    await first.remoting.close();
    const a = await node('a', { limits: { backoffMaxMs: 200 } });
    for (let i = 0; i < 50; i++) a.remoting.sendTo(address, envelope(i, { correlation: i }));
    const port = Number(address.split(':').pop());
    const b = await node('b', { listen: { host: '127.0.0.1', port } });
    await eventually(() => expect(b.received.map((r) => r.envelope.correlation)).to.deep.equal([...Array(50).keys()]));
  });

  it('sees a restarted peer go down, then come up with its new incarnation, and reaches it', async () => {
    const a = await node('a', { limits: { backoffMaxMs: 200 } });
    const b1 = await node('b');
    const address = b1.remoting.self.address;
    a.remoting.sendTo(address, envelope(1));
    await eventually(() => expect(b1.received).to.have.length(1));
    await b1.remoting.close();
    const port = Number(address.split(':').pop());
    const b2 = await node('b', { listen: { host: '127.0.0.1', port } });
    expect(b2.remoting.self.incarnation).to.be.greaterThan(b1.remoting.self.incarnation);
    a.remoting.sendTo(address, envelope(2));
    await eventually(() => expect(b2.received.map((r) => Buffer.from(r.envelope.body).toString())).to.deep.equal(['message 2']));
    await eventually(() => expect(a.peerEvents.map((e) => [e.type, e.peer.incarnation])).to.deep.equal([
      ['up', b1.remoting.self.incarnation],
      ['down', b1.remoting.self.incarnation],
      ['up', b2.remoting.self.incarnation],
    ]));
  });

  it('reports its peers down when it closes, and drops what is sent after', async () => {
    const a = await node('a');
    const b = await node('b');
    a.remoting.sendTo(b.remoting.self.address, envelope(1));
    await eventually(() => expect(b.peerEvents).to.have.length(1));
    await a.remoting.close();
    expect(a.peerEvents.map((e) => e.type)).to.deep.equal(['up', 'down']);
    await eventually(() => expect(b.peerEvents.map((e) => e.type)).to.deep.equal(['up', 'down']));
    expect(a.remoting.sendTo(b.remoting.self.address, envelope(2))).to.equal(false);
    expect(a.remoting.stats().dropped).to.equal(1);
  });

  it('flushes what is queued when it closes', async () => {
    const a = await node('a');
    const b = await node('b');
    for (let i = 0; i < 5000; i++) a.remoting.sendTo(b.remoting.self.address, envelope(i));
    await a.remoting.close();
    await eventually(() => expect(b.received).to.have.length(5000));
  });
});
