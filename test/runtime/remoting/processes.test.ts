import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { finished, runFixture, startFixture } from '../../support/child-process.js';
import { consistently, eventually } from '../../support/eventually.js';
import type { NodeIdentity } from '../../../src/runtime/remoting/types.js';
import { envelope, startNode, type Node } from './harness.js';

/** Starts the echo peer and waits for its started line. */
async function startPeer(name: string, secret: string): Promise<{ child: ChildProcess; self: NodeIdentity; output: () => string }> {
  const child = startFixture('remoting-peer', [name, secret]);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const self = await eventually(() => {
    const line = output.split('\n').find((l) => l.includes('"remoting-peer.started"'));
    if (!line) throw new Error(`peer not started: ${output}`);
    return (JSON.parse(line) as { self: NodeIdentity }).self;
  }, { timeout: 10_000 });
  return { child, self, output: () => output };
}

describe('remoting across OS processes', function () {
  this.timeout(30_000);
  const nodes: Node[] = [];
  const children: ChildProcess[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.remoting.close()));
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  it('sends to another process and gets every envelope echoed back in order', async () => {
    const peer = await startPeer('echo', 'cluster-secret');
    children.push(peer.child);
    const exited = finished(peer.child);
    const a = await startNode('a', { secret: 'cluster-secret' });
    nodes.push(a);
    for (let i = 0; i < 5000; i++) a.remoting.sendTo(peer.self.address, envelope(i, { from: '/asker', correlation: i }));
    await eventually(() => expect(a.received).to.have.length(5000), { timeout: 15_000 });
    expect(a.received.map((r) => r.envelope.correlation)).to.deep.equal([...Array(5000).keys()]);
    expect(a.received.every((r) => r.envelope.to === '/asker' && r.envelope.from === '/test/sink')).to.equal(true);
    expect(a.received[0]!.from).to.deep.equal(peer.self);
    expect(a.peerEvents).to.deep.equal([{ type: 'up', peer: peer.self }]);

    a.remoting.sendTo(peer.self.address, { to: '/', type: 'remoting-peer/stop', body: Buffer.alloc(0) });
    expect((await exited).code).to.equal(0); // closed, and nothing kept the process alive
    await eventually(() => expect(a.peerEvents.map((e) => e.type)).to.deep.equal(['up', 'down']));
  });

  it('refuses a process holding another secret, on both sides', async () => {
    const peer = await startPeer('echo', 'cluster-secret');
    children.push(peer.child);
    const a = await startNode('a', { secret: 'not the secret' });
    nodes.push(a);
    a.remoting.sendTo(peer.self.address, envelope(1, { from: '/asker' }));
    await eventually(() => {
      expect(a.log.events()).to.include('remoting.handshake-refused');
      expect(peer.output()).to.include('"remoting.handshake-refused"');
    });
    await consistently(() => expect([a.received.length, a.peerEvents.length]).to.deep.equal([0, 0]), { duration: 300, interval: 50 });
  });

  it('leaves nothing open after close(): the process exits by itself', async () => {
    const done = await runFixture('remoting-pair', [], 15_000);
    expect(done.code, done.stderr).to.equal(0);
    const line = done.stdout.split('\n').find((l) => l.startsWith('closed '));
    expect(JSON.parse(line!.slice('closed '.length))).to.deep.equal({ echoed: 1000, active: [], leakedSockets: 0 });
  });
});
