import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { SseWriter, formatComment, formatEvent, sseFrame, type SseSink } from '../../src/gateway/sse-writer.js';

/** A sink that accepts writes until told it is full, like a socket's buffer. */
class FakeSink extends EventEmitter implements SseSink {
  written: string[] = [];
  full = false;
  write(chunk: string): boolean {
    this.written.push(chunk);
    return !this.full;
  }
  drain(): void {
    this.full = false;
    this.emit('drain');
  }
}

const frame = (n: number, size = 10) => sseFrame(`${n}`.padEnd(size, '.'));

describe('SseWriter', () => {
  it('formats events and comments as SSE', () => {
    expect(formatEvent(7, 'cell_disappeared', '{"cell_id":"c1"}')).to.equal('id: 7\nevent: cell_disappeared\ndata: {"cell_id":"c1"}\n\n');
    expect(formatComment('heartbeat')).to.equal(': heartbeat\n\n');
    expect(sseFrame('é').bytes).to.equal(2);
  });

  it('writes straight through while the sink accepts, then queues until drain and flushes in order', () => {
    const sink = new FakeSink();
    const writer = new SseWriter(sink, 1000, () => expect.fail('no overflow'));
    writer.send(frame(1));
    sink.full = true;
    writer.send(frame(2)); // accepted by the sink, which now asks to wait
    writer.send(frame(3));
    writer.send(frame(4));
    expect(sink.written.map((w) => w[0])).to.deep.equal(['1', '2']);
    expect(writer.backlogged).to.equal(true);
    expect(writer.backlogBytes).to.equal(20);
    sink.drain();
    expect(sink.written.map((w) => w[0])).to.deep.equal(['1', '2', '3', '4']);
    expect(writer.backlogged).to.equal(false);
    expect(writer.backlogBytes).to.equal(0);
  });

  it('stops flushing when the sink fills again mid-queue, and resumes on the next drain', () => {
    const sink = new FakeSink();
    const writer = new SseWriter(sink, 1000, () => expect.fail('no overflow'));
    sink.full = true;
    for (const n of [1, 2, 3, 4]) writer.send(frame(n));
    sink.full = false;
    const write = sink.write.bind(sink);
    sink.write = (chunk) => (write(chunk), chunk[0] !== '3'); // full again after 3
    sink.emit('drain');
    expect(sink.written.map((w) => w[0])).to.deep.equal(['1', '2', '3']);
    expect(writer.backlogBytes).to.equal(10);
    sink.emit('drain');
    expect(sink.written.map((w) => w[0])).to.deep.equal(['1', '2', '3', '4']);
  });

  it('past the bound: calls onOverflow once, sends nothing more, and drops its queue', () => {
    const sink = new FakeSink();
    const overflows: number[] = [];
    const writer = new SseWriter(sink, 25, (queued) => overflows.push(queued));
    sink.full = true;
    expect(writer.send(frame(1))).to.equal(true); // into the sink
    expect(writer.send(frame(2))).to.equal(true); // queued: 10
    expect(writer.send(frame(3))).to.equal(true); // queued: 20
    expect(writer.send(frame(4))).to.equal(false); // 30 > 25
    expect(writer.send(frame(5))).to.equal(false);
    expect(overflows).to.deep.equal([20]);
    expect(writer.done).to.equal(true);
    expect(writer.backlogBytes).to.equal(0);
    sink.drain();
    expect(sink.written.map((w) => w[0])).to.deep.equal(['1']);
    expect(sink.listenerCount('drain')).to.equal(0);
  });

  it('stop() lets go of the drain listener and refuses later frames', () => {
    const sink = new FakeSink();
    const writer = new SseWriter(sink, 100, () => expect.fail('no overflow'));
    sink.full = true;
    writer.send(frame(1));
    expect(sink.listenerCount('drain')).to.equal(1);
    writer.stop();
    expect(sink.listenerCount('drain')).to.equal(0);
    expect(writer.send(frame(2))).to.equal(false);
  });
});
