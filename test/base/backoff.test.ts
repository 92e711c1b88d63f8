import { expect } from 'chai';
import { backoffMs, type BackoffOptions } from '../../src/base/backoff.js';

const noRandom = (): number => {
  throw new Error('random drawn without jitter');
};

describe('backoffMs', () => {
  const cases: Array<{ name: string; attempt: number; options: BackoffOptions; want: number }> = [
    { name: 'attempt 0 waits the initial delay', attempt: 0, options: { initialMs: 100, maxMs: 2000 }, want: 100 },
    { name: 'attempt 1 doubles by default', attempt: 1, options: { initialMs: 100, maxMs: 2000 }, want: 200 },
    { name: 'attempt 4 is initial·2^4, just under the cap', attempt: 4, options: { initialMs: 100, maxMs: 2000 }, want: 1600 },
    { name: 'attempt 5 would be 3200: the cap', attempt: 5, options: { initialMs: 100, maxMs: 2000 }, want: 2000 },
    { name: 'a cap that is exactly reached', attempt: 3, options: { initialMs: 250, maxMs: 2000 }, want: 2000 },
    { name: 'attempt 2000 (2^2000 overflows) is the cap', attempt: 2000, options: { initialMs: 100, maxMs: 2000 }, want: 2000 },
    { name: 'factor 3 at attempt 2', attempt: 2, options: { initialMs: 100, maxMs: 1000, factor: 3 }, want: 900 },
    { name: 'factor 1 never grows', attempt: 50, options: { initialMs: 100, maxMs: 1000, factor: 1 }, want: 100 },
    { name: 'a cap below the initial delay wins at attempt 0', attempt: 0, options: { initialMs: 500, maxMs: 200 }, want: 200 },
    { name: 'an initial delay of 0 stays 0, even past overflow', attempt: 2000, options: { initialMs: 0, maxMs: 1000 }, want: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(backoffMs(c.attempt, c.options, noRandom)).to.equal(c.want);
    });
  }

  const jittered: BackoffOptions = { initialMs: 100, maxMs: 2000, jitter: 0.2 };
  const jitterCases: Array<{ name: string; attempt: number; random: number; want: number }> = [
    { name: 'random 0 gives the lower bound, −20 %', attempt: 0, random: 0, want: 80 },
    { name: 'random 0.5 gives the delay itself', attempt: 0, random: 0.5, want: 100 },
    { name: 'random 0.75 is +10 %', attempt: 1, random: 0.75, want: 220 },
    { name: 'jitter applies after the cap: the wait may pass the cap by 20 % at most', attempt: 9, random: 0.75, want: 2200 },
    { name: 'at the cap, random 0 is 20 % under it', attempt: 9, random: 0, want: 1600 },
  ];
  for (const c of jitterCases) {
    it(c.name, () => {
      expect(backoffMs(c.attempt, jittered, () => c.random)).to.be.closeTo(c.want, 1e-9);
    });
  }

  it('reaches at most the upper bound, +20 %, for a random just under 1', () => {
    const almostOne = 1 - Number.EPSILON;
    const wait = backoffMs(0, jittered, () => almostOne);
    expect(wait).to.be.at.most(120);
    expect(wait).to.be.above(119.99);
  });

  it('draws from Math.random when no source is given, within the jitter bounds', () => {
    for (let i = 0; i < 100; i++) {
      const wait = backoffMs(2, jittered);
      expect(wait).to.be.at.least(320);
      expect(wait).to.be.at.most(480);
    }
  });
});
