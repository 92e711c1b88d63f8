import { expect } from 'chai';
import { decodeFrame } from '../../../src/runtime/remoting/codec.js';
import { DEFAULT_LIMITS } from '../../../src/runtime/remoting/options.js';
import { OutboundQueue } from '../../../src/runtime/remoting/outbound-queue.js';
import type { Envelope } from '../../../src/runtime/remoting/types.js';

const envelope = (i: number, bodyBytes = 10): Envelope => ({ to: `/a/${i % 3}`, type: 'q/x', correlation: i, body: Buffer.alloc(bodyBytes, i % 256) });
const limits = (overrides: Partial<typeof DEFAULT_LIMITS>) => ({ ...DEFAULT_LIMITS, ...overrides });

function drain(queue: OutboundQueue): Envelope[][] {
  const batches: Envelope[][] = [];
  queue.seal();
  for (let next = queue.take(); next; next = queue.take()) {
    const frame = decodeFrame(next.frame);
    if (frame.kind !== 'batch') throw new Error('not a batch');
    expect(frame.envelopes).to.have.length(next.count);
    batches.push(frame.envelopes);
  }
  return batches;
}

describe('outbound queue', () => {
  it('seals a batch when it reaches batchEnvelopes, and keeps the order across batches', () => {
    const queue = new OutboundQueue(limits({ batchEnvelopes: 4 }));
    for (let i = 0; i < 10; i++) expect(queue.push(envelope(i))).to.equal(true);
    expect(queue.hasSealed).to.equal(true);
    const batches = drain(queue);
    expect(batches.map((b) => b.length)).to.deep.equal([4, 4, 2]);
    expect(batches.flat().map((e) => e.correlation)).to.deep.equal([...Array(10).keys()]);
    expect(batches.flat().map((e) => e.to)).to.deep.equal([...Array(10).keys()].map((i) => `/a/${i % 3}`));
    expect([queue.envelopes, queue.bytes, queue.isEmpty]).to.deep.equal([0, 0, true]);
  });

  it('seals a batch when it reaches batchBytes', () => {
    const queue = new OutboundQueue(limits({ batchBytes: 1000 }));
    for (let i = 0; i < 5; i++) queue.push(envelope(i, 400));
    expect(drain(queue).map((b) => b.length)).to.deep.equal([3, 2]); // the third crosses 1000 bytes
  });

  it('holds an unfilled batch open until sealed', () => {
    const queue = new OutboundQueue(DEFAULT_LIMITS);
    queue.push(envelope(1));
    expect(queue.hasSealed).to.equal(false);
    expect(queue.take()).to.equal(undefined);
    queue.seal();
    expect(queue.take()?.count).to.equal(1);
  });

  it('refuses past its bound in envelopes or bytes, sealed or not, and frees room as batches leave', () => {
    const queue = new OutboundQueue(limits({ maxQueueEnvelopes: 5, batchEnvelopes: 2 }));
    expect([...Array(7).keys()].map((i) => queue.push(envelope(i)))).to.deep.equal([true, true, true, true, true, false, false]);
    queue.take();
    expect(queue.push(envelope(7))).to.equal(true);
    expect(queue.envelopes).to.equal(4);

    const bytes = new OutboundQueue(limits({ maxQueueBytes: 10_000 }));
    expect([...Array(4).keys()].map((i) => bytes.push(envelope(i, 3000)))).to.deep.equal([true, true, true, false]);
    expect(bytes.clear()).to.equal(3);
    expect(bytes.push(envelope(9, 3000))).to.equal(true);
  });
});
