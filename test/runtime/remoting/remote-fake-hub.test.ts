import { expect } from 'chai';
import type { Envelope, PeerEvent } from '../../../src/runtime/remoting/types.js';
import { eventually } from '../../support/eventually.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeRemotingHub } from '../../support/fake-remoting.js';

// The fake stands in for the gRPC transport in every remote-ref and membership test, so it keeps
// the promises of the Remoting interface (src/runtime/remoting/types.ts) that those tests rely on.
describe('fake remoting hub', () => {
  let hub: FakeRemotingHub;
  beforeEach(() => (hub = new FakeRemotingHub()));
  afterEach(() => hub.close());

  const envelope = (n: number): Envelope => ({ to: '/x', type: 't', body: Uint8Array.of(n) });
  const collect = (endpoint: ReturnType<FakeRemotingHub['endpoint']>) => {
    const got: number[] = [];
    endpoint.onEnvelope((e) => got.push(e.body[0]!));
    return got;
  };

  it('refuses envelopes for an unknown address, a closed peer or a partitioned one, counting each drop', async () => {
    const a = hub.endpoint('a');
    const b = hub.endpoint('b');
    expect(a.sendTo('nowhere:1', envelope(1))).to.equal(false);
    hub.partition('a', 'b');
    expect(a.sendTo(b.self.address, envelope(2))).to.equal(false);
    hub.heal('a', 'b');
    expect(a.sendTo(b.self.address, envelope(3))).to.equal(true);
    await b.close();
    expect(a.sendTo(b.self.address, envelope(4))).to.equal(false);
    expect(a.stats()).to.include({ sent: 1, dropped: 3 });
  });

  it('delivers asynchronously, in order, after the link delay, with a copy of the body', async () => {
    const a = hub.endpoint('a');
    const b = hub.endpoint('b');
    const got = collect(b);
    hub.delay('a', 'b', 30);
    const body = Uint8Array.of(1);
    a.sendTo(b.self.address, { to: '/x', type: 't', body });
    body[0] = 99;
    for (let n = 2; n <= 5; n++) a.sendTo(b.self.address, envelope(n));
    expect(got).to.deep.equal([]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(got).to.deep.equal([]);
    await eventually(() => expect(got).to.deep.equal([1, 2, 3, 4, 5]));
    expect(b.stats().received).to.equal(5);
  });

  it('loses what is in flight when a link is cut or the sender is killed; a close flushes first', async () => {
    const a = hub.endpoint('a');
    const b = hub.endpoint('b');
    const c = hub.endpoint('c');
    const atB = collect(b);
    const atC = collect(c);
    a.sendTo(b.self.address, envelope(1));
    hub.partition('a', 'b');
    b.sendTo(c.self.address, envelope(2));
    b.kill();
    a.sendTo(c.self.address, envelope(3));
    await a.close();
    expect(atC).to.deep.equal([3]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(atB).to.deep.equal([]);
    expect(hub.lost).to.equal(2);
  });

  it('refuses a send when the queue toward that peer is full', () => {
    const a = hub.endpoint('a', { queueLimit: 2 });
    const b = hub.endpoint('b');
    expect([1, 2, 3].map((n) => a.sendTo(b.self.address, envelope(n)))).to.deep.equal([true, true, false]);
  });

  it('tells endpoints when peers come up and go down', async () => {
    const a = hub.endpoint('a');
    const events: string[] = [];
    a.onPeer((e: PeerEvent) => events.push(`${e.type} ${e.peer.name}${e.type === 'down' ? ` ${e.reason}` : ''}`));
    const b = hub.endpoint('b');
    hub.partition('a', 'b');
    hub.heal('a', 'b');
    b.kill();
    expect(events).to.deep.equal(['up b', 'down b partitioned', 'up b', 'down b killed']);
  });

  it('throws a TypeError for an envelope with an empty `to` or `type`, as the gRPC transport does', () => {
    const a = hub.endpoint('a');
    const b = hub.endpoint('b');
    expect(() => a.sendTo(b.self.address, { to: '', type: 't', body: Uint8Array.of(1) })).to.throw(TypeError);
    expect(() => a.sendTo(b.self.address, { to: '/x', type: '', body: Uint8Array.of(1) })).to.throw(TypeError);
    expect(a.stats()).to.include({ sent: 0, dropped: 0 });
  });

  it('on a fake clock: delays wait for `advance`, and the sent log is stamped with its time', async () => {
    const clock = new FakeClock();
    const timed = new FakeRemotingHub({ clock });
    const a = timed.endpoint('a');
    const b = timed.endpoint('b', { address: 'b:1' });
    const got = collect(b);
    timed.delay('a', 'b', 1000);
    a.sendTo('b:1', envelope(1));
    await clock.advance(999);
    expect(got).to.deep.equal([]);
    await clock.advance(1);
    expect(got).to.deep.equal([1]);
    a.sendTo('nowhere:1', envelope(2));
    expect(timed.sendTimes('a', 'b:1', 't')).to.deep.equal([clock.now() - 1000]);
    expect(timed.sendTimes('a', 'nowhere:1', 't')).to.deep.equal([clock.now()]);
    await timed.close();
  });

  it('reuses the address of a killed endpoint, not of an open one; inject delivers from anyone', () => {
    const a = hub.endpoint('a', { address: 'a:7777', incarnation: 1 });
    expect(() => hub.endpoint('a', { address: 'a:7777', incarnation: 2 })).to.throw('address a:7777 is in use by a');
    a.kill();
    const again = hub.endpoint('a', { address: 'a:7777', incarnation: 2 });
    const got = collect(again);
    hub.inject({ name: 'z', incarnation: 1, address: 'z:1' }, 'a:7777', envelope(7));
    expect(got).to.deep.equal([7]);
    expect(again.listeners).to.equal(1);
  });
});
