/**
 * Raw gRPC clients and servers that do not follow the protocol: the node cuts them off, counts
 * what it dropped, and keeps serving everyone else.
 */
import { expect } from 'chai';
import { Client, credentials, Metadata, Server, ServerCredentials, status, type ServerDuplexStream, type StatusObject, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { decodeFrame, encodeBatch, encodeHandshake } from '../../../src/runtime/remoting/codec.js';
import { newNonce, proofFor, PROTOCOL_VERSION } from '../../../src/runtime/remoting/handshake.js';
import { CONNECT_PATH, passThrough } from '../../../src/runtime/remoting/options.js';
import type { NodeIdentity } from '../../../src/runtime/remoting/types.js';
import { consistently, eventually } from '../../support/eventually.js';
import { envelope, startNode, type Node } from './harness.js';

/** A bare bidi call on the remoting RPC, with what it receives and how it ends. */
function rawCall(address: string) {
  const client = new Client(address, credentials.createInsecure());
  const call = client.makeBidiStreamRequest<Buffer, Buffer>(CONNECT_PATH, passThrough, passThrough, new Metadata());
  const frames: Buffer[] = [];
  call.on('data', (b: Buffer) => frames.push(b));
  call.on('error', () => {}); // the status below says how it ended
  const ended = new Promise<StatusObject>((resolve) => call.on('status', resolve));
  return { client, call, frames, ended };
}

const stranger: NodeIdentity = { name: 'stranger', incarnation: 1, address: '127.0.0.1:1' };

describe('remoting against peers that break the protocol', function () {
  const opened: Node[] = [];
  const clients: Client[] = [];
  let b: Node;
  let a: Node;
  beforeEach(async () => {
    b = await startNode('b', { limits: { handshakeTimeoutMs: 300, maxEnvelopeBytes: 1000 } });
    a = await startNode('a');
    opened.push(a, b);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(opened.splice(0).map((n) => n.remoting.close()));
  });
  const raw = () => {
    const r = rawCall(b.remoting.self.address);
    clients.push(r.client);
    return r;
  };
  /** a real node keeps getting through to b */
  async function stillServes(i: number) {
    a.remoting.sendTo(b.remoting.self.address, envelope(i));
    await eventually(() => expect(b.received.map((r) => Buffer.from(r.envelope.body).toString())).to.include(`message ${i}`));
  }

  it('cuts off a client that sends a batch without the handshake', async () => {
    const r = raw();
    r.call.write(encodeBatch([envelope(1)], 0, 1));
    expect((await r.ended).code).to.equal(status.UNAUTHENTICATED);
    expect(b.received).to.have.length(0);
    expect(b.remoting.stats().malformed).to.equal(1);
    expect(b.log.events()).to.include('remoting.stream-refused');
    await stillServes(2);
  });

  it('cuts off a client that sends garbage instead of a hello', async () => {
    const r = raw();
    r.call.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    expect((await r.ended).code).to.equal(status.UNAUTHENTICATED);
    expect(b.remoting.stats().malformed).to.equal(1);
    await stillServes(1);
  });

  it('cuts off a client whose proof is wrong, and one that never proves', async () => {
    const wrong = raw();
    wrong.call.write(encodeHandshake({ kind: 'hello', node: stranger, nonce: newNonce() }));
    await eventually(() => expect(wrong.frames).to.have.length(1));
    expect(decodeFrame(wrong.frames[0]!)).to.deep.include({ kind: 'challenge', node: b.remoting.self });
    wrong.call.write(encodeHandshake({ kind: 'proof', proof: Buffer.alloc(32) }));
    wrong.call.write(encodeBatch([envelope(1)], 0, 1));
    expect((await wrong.ended).code).to.equal(status.UNAUTHENTICATED);

    const silent = raw();
    silent.call.write(encodeHandshake({ kind: 'hello', node: stranger, nonce: newNonce() }));
    const ended = await silent.ended;
    expect([ended.code, ended.details]).to.deep.equal([status.UNAUTHENTICATED, 'handshake timed out']);
    expect(b.received).to.have.length(0);
    expect(b.peerEvents).to.have.length(0);
    await stillServes(2);
  });

  it('drops malformed frames and envelopes from an authenticated peer and keeps its stream', async () => {
    const r = raw();
    const nonce = newNonce();
    r.call.write(encodeHandshake({ kind: 'hello', node: stranger, nonce }));
    await eventually(() => expect(r.frames).to.have.length(1));
    const challenge = decodeFrame(r.frames[0]!);
    if (challenge.kind !== 'challenge') throw new Error('expected a challenge');
    const transcript = { dialler: stranger, diallerNonce: nonce, listener: challenge.node, listenerNonce: challenge.nonce };
    r.call.write(encodeHandshake({ kind: 'proof', proof: proofFor('dialler', '', transcript) }));
    await eventually(() => expect(b.peerEvents).to.deep.equal([{ type: 'up', peer: stranger }]));

    r.call.write(Buffer.from([0xff, 0xff, 0xff])); // not a frame
    r.call.write(encodeHandshake({ kind: 'hello', node: stranger, nonce })); // a frame, not a batch
    const bad = [envelope(1, { to: '' }), envelope(2, { type: '' }), envelope(3, { body: Buffer.alloc(2000) })];
    r.call.write(encodeBatch(bad, 0, bad.length));
    r.call.write(encodeBatch([envelope(4)], 0, 1));
    await eventually(() => expect(b.received.map((x) => [Buffer.from(x.envelope.body).toString(), x.from.name])).to.deep.equal([['message 4', 'stranger']]));
    expect(b.remoting.stats().malformed).to.equal(5);
    expect(b.log.events().filter((e) => e === 'remoting.malformed-dropped').length).to.be.greaterThan(0);
    await stillServes(5);
    await consistently(() => expect(b.peerEvents.map((e) => e.type)).to.deep.equal(['up', 'up']), { duration: 200, interval: 50 });
  });

  it('refuses a dialler that speaks another protocol version, and says which', async () => {
    const r = raw();
    r.call.write(encodeHandshake({ kind: 'hello', node: stranger, nonce: newNonce(), protocol: 0 }));
    const ended = await r.ended;
    expect([ended.code, ended.details]).to.deep.equal([status.UNAUTHENTICATED, `peer speaks remoting protocol 1, this node speaks ${PROTOCOL_VERSION}`]);
    expect(r.frames).to.have.length(0); // no challenge: nothing of the handshake is given away
    expect(b.log.events()).to.include('remoting.protocol-mismatch');
    expect(b.peerEvents).to.have.length(0);
    await stillServes(1);
  });

  it('keeps serving while many clients throw garbage at it', async () => {
    const attackers = Array.from({ length: 20 }, (_, i) => {
      const r = raw();
      r.call.write(Buffer.from(`junk ${i}`.repeat(i + 1)));
      return r.ended;
    });
    await stillServes(1);
    const codes = (await Promise.all(attackers)).map((s) => s.code);
    expect(new Set(codes)).to.deep.equal(new Set([status.UNAUTHENTICATED]));
    expect(b.remoting.stats().malformed).to.equal(20);
  });
});

describe('remoting against a listener that breaks the protocol', () => {
  let server: Server | undefined;
  afterEach(() => server?.forceShutdown());

  /** A bare gRPC server on the remoting RPC whose streams `connect` handles; its port. */
  function listen(connect: (call: ServerDuplexStream<Buffer, Buffer>) => void): Promise<number> {
    server = new Server();
    server.addService({ connect: { path: CONNECT_PATH, requestStream: true, responseStream: true, requestSerialize: passThrough, requestDeserialize: passThrough, responseSerialize: passThrough, responseDeserialize: passThrough } }, { connect } as UntypedServiceImplementation);
    return new Promise<number>((resolve, reject) => server!.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  }

  it('never comes up with a listener that speaks another protocol version, and logs it', async () => {
    let challenges = 0;
    const connect = (call: ServerDuplexStream<Buffer, Buffer>) => {
      call.on('error', () => {});
      call.once('data', (buf: Buffer) => {
        const hello = decodeFrame(buf);
        if (hello.kind !== 'hello') return;
        // a well-proved challenge (no secret on loopback), from an older node
        const nonce = newNonce();
        const transcript = { dialler: hello.node, diallerNonce: hello.nonce, listener: stranger, listenerNonce: nonce };
        challenges++;
        call.write(encodeHandshake({ kind: 'challenge', node: stranger, nonce, proof: proofFor('listener', '', transcript), protocol: 0 }));
      });
    };
    const port = await listen(connect);
    const a = await startNode('a', { limits: { backoffMaxMs: 50, backoffInitialMs: 10 } });
    try {
      a.remoting.sendTo(`127.0.0.1:${port}`, envelope(1));
      await eventually(() => expect(challenges).to.be.at.least(2));
      expect(a.log.events()).to.include('remoting.protocol-mismatch');
      expect(a.log.events()).to.not.include('remoting.peer-connected');
      expect(a.peerEvents).to.have.length(0);
      expect(a.remoting.stats().sent).to.equal(0);
    } finally {
      await a.remoting.close();
    }
  });

  it('never comes up with a listener that answers garbage or a forged challenge, and logs it', async () => {
    let calls = 0;
    const connect = (call: ServerDuplexStream<Buffer, Buffer>) => {
      call.on('error', () => {});
      call.once('data', () => {
        const forged = encodeHandshake({ kind: 'challenge', node: stranger, nonce: newNonce(), proof: Buffer.alloc(32, 9) });
        call.write(++calls % 2 ? Buffer.from([0x00, 0x01, 0x02]) : forged);
      });
    };
    const port = await listen(connect);
    const a = await startNode('a', { limits: { backoffMaxMs: 50, backoffInitialMs: 10 } });
    try {
      a.remoting.sendTo(`127.0.0.1:${port}`, envelope(1));
      await eventually(() => expect(calls).to.be.at.least(4));
      expect(a.log.events()).to.include.members(['remoting.handshake-malformed', 'remoting.handshake-refused']);
      expect(a.peerEvents).to.have.length(0);
      expect(a.remoting.stats().sent).to.equal(0);
    } finally {
      await a.remoting.close();
    }
  });
});
