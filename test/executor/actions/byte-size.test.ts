import { expect } from 'chai';
import { byteSize } from '../../../src/executor/actions/byte-size.js';

describe('byteSize (bytefmt.ByteSize, as in `Downloaded droplet (1.2M)`)', () => {
  const cases: Array<[number, string]> = [
    [0, '0B'], [10, '10B'], [1023, '1023B'], [1024, '1K'], [1536, '1.5K'], [512 * 1024, '512K'],
    [1024 * 1024 - 1, '1024K'], [1024 * 1024, '1M'], [1.2 * 1024 * 1024, '1.2M'], [5 * 1024 ** 3, '5G'], [2 * 1024 ** 4, '2T'],
  ];
  for (const [bytes, text] of cases) it(`${bytes} bytes print as ${text}`, () => expect(byteSize(bytes)).to.equal(text));
});
