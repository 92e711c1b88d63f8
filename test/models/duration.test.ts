import { expect } from 'chai';
import { formatDuration } from '../../src/models/duration.js';

describe('formatDuration (Go time.Duration.String)', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'], [500, '500ms'], [1000, '1s'], [1500, '1.5s'], [3000, '3s'], [60_000, '1m0s'],
    [90_000, '1m30s'], [3_600_000, '1h0m0s'], [3_723_500, '1h2m3.5s'], [-250, '-250ms'],
  ];
  for (const [ms, text] of cases) it(`${ms} ms prints as ${text}`, () => expect(formatDuration(ms)).to.equal(text));
});
