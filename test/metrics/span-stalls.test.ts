import { expect } from 'chai';
import { SpanStalls } from '../../src/metrics/span-stalls.js';

/** Keeps the event loop busy for `ms`: a stall. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // nothing else runs meanwhile
  }
}

describe('SpanStalls: the longest event-loop stall within a span', () => {
  let stalls: SpanStalls;
  beforeEach(() => (stalls = new SpanStalls(10)));
  afterEach(() => stalls.close());

  it('a stall at the very start of the span counts, to its end', () => {
    stalls.start();
    block(120);
    expect(stalls.end()).to.be.at.least(100);
  });

  it('the longest of several stalls, with the loop running between them', async () => {
    stalls.start();
    block(40);
    await new Promise((resolve) => setTimeout(resolve, 15));
    block(150);
    await new Promise((resolve) => setTimeout(resolve, 15));
    block(40);
    const longest = stalls.end();
    expect(longest).to.be.at.least(130);
    expect(longest).to.be.below(400);
  });

  it('a stall before the span started and over before it does not count', async () => {
    block(150);
    await new Promise((resolve) => setTimeout(resolve, 30));
    stalls.start();
    expect(stalls.end()).to.be.below(100);
  });
});
