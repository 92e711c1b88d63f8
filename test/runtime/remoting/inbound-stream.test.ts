/**
 * One accepted stream, driven through a stand-in for grpc-js's server call: frames are handled
 * on the next turn of the event loop, in order, with the stream paused past
 * `maxPendingInboundBytes`; what arrived before the stream ends is still delivered.
 */
import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { decodeFrame, encodeBatch, encodeHandshake } from '../../../src/runtime/remoting/codec.js';
import { newNonce, proofFor } from '../../../src/runtime/remoting/handshake.js';
import { InboundStream } from '../../../src/runtime/remoting/inbound-stream.js';
import { DEFAULT_LIMITS } from '../../../src/runtime/remoting/options.js';
import { Rejections } from '../../../src/runtime/remoting/rejections.js';
import type { Envelope, NodeIdentity } from '../../../src/runtime/remoting/types.js';
import { envelope, RecordingLog } from './harness.js';

const listener: NodeIdentity = { name: 'b', incarnation: 2, address: '127.0.0.1:2' };
const dialler: NodeIdentity = { name: 'a', incarnation: 1, address: '127.0.0.1:1' };

/** What InboundStream uses of a grpc-js ServerDuplexStream, recording pauses and writes. */
class FakeCall extends EventEmitter {
  written: Buffer[] = [];
  flow: ('pause' | 'resume')[] = [];
  writableEnded = false;
  getPeer() {
    return 'ipv4:127.0.0.1:1';
  }
  write(b: Buffer) {
    this.written.push(b);
    return true;
  }
  end() {
    this.writableEnded = true;
  }
  pause() {
    this.flow.push('pause');
    return this;
  }
  resume() {
    this.flow.push('resume');
    return this;
  }
}

function open(maxPendingInboundBytes = DEFAULT_LIMITS.maxPendingInboundBytes) {
  const call = new FakeCall();
  const delivered: string[] = [];
  const events: string[] = [];
  const stream = new InboundStream(call as unknown as ServerDuplexStream<Buffer, Buffer>, {
    self: listener,
    secret: 's3cret',
    limits: { ...DEFAULT_LIMITS, maxPendingInboundBytes },
    log: new RecordingLog(),
    counters: { sent: 0, received: 0, dropped: 0, malformed: 0 },
    rejections: new Rejections(new RecordingLog()),
    deliver: (e: Envelope) => delivered.push(Buffer.from(e.body).toString()),
    onUp: () => events.push('up'),
    onDown: (_peer, reason) => events.push(`down after ${delivered.length}: ${reason}`),
    onDone: () => events.push('done'),
  });
  const nonce = newNonce();
  call.emit('data', encodeHandshake({ kind: 'hello', node: dialler, nonce }));
  const challenge = decodeFrame(call.written[0]!);
  if (challenge.kind !== 'challenge') throw new Error('expected a challenge');
  const transcript = { dialler, diallerNonce: nonce, listener, listenerNonce: challenge.nonce };
  call.emit('data', encodeHandshake({ kind: 'proof', proof: proofFor('dialler', 's3cret', transcript) }));
  expect(events).to.deep.equal(['up']);
  return { call, stream, delivered, events };
}

const batch = (from: number, count: number) => encodeBatch(Array.from({ length: count }, (_, i) => envelope(from + i)), 0, count);
const messages = (count: number) => Array.from({ length: count }, (_, i) => `message ${i}`);
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('an accepted remoting stream', () => {
  it('hands batches on after the data callback returns, all of them in order', async () => {
    const { call, delivered } = open();
    for (let i = 0; i < 10; i++) call.emit('data', batch(i * 10, 10));
    expect(delivered).to.deep.equal([]);
    await nextTurn();
    expect(delivered).to.deep.equal(messages(100));
    expect(call.flow).to.deep.equal([]);
  });

  it('pauses the stream past maxPendingInboundBytes and resumes once they are handled', async () => {
    // frames 10-49 are the same size, frame 0-9 a little smaller: the fourth crosses the bound
    const { call, delivered } = open(batch(40, 10).length * 3);
    for (let i = 0; i < 3; i++) call.emit('data', batch(i * 10, 10));
    expect(call.flow).to.deep.equal([]);
    call.emit('data', batch(30, 10));
    call.emit('data', batch(40, 10));
    expect(call.flow).to.deep.equal(['pause']);
    await nextTurn();
    expect(delivered).to.deep.equal(messages(50));
    expect(call.flow).to.deep.equal(['pause', 'resume']);
  });

  it('delivers what arrived before the dialler ended before reporting it down', async () => {
    const { call, delivered, events } = open();
    call.emit('data', batch(0, 5));
    call.emit('data', batch(5, 5));
    call.emit('end');
    expect(delivered).to.deep.equal(messages(10));
    expect(events).to.deep.equal(['up', 'down after 10: stream ended', 'done']);
    await nextTurn();
    expect(delivered).to.have.length(10);
  });

  it('hands nothing on once closed from this side, and leaves no Immediate behind', async () => {
    const { call, stream, delivered } = open();
    call.emit('data', batch(0, 3));
    stream.close();
    expect(delivered).to.deep.equal(messages(3));
    call.emit('data', batch(3, 3));
    await nextTurn();
    expect(delivered).to.have.length(3);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Immediate')).to.have.length(0);
  });
});
