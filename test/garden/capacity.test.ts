import { expect } from 'chai';
import { totalmem } from 'node:os';
import { measureCapacity } from '../../src/garden/capacity.js';

describe('cell capacity', () => {
  it('measures memory and disk from the machine, with 250 containers by default', async () => {
    const capacity = await measureCapacity(process.cwd());
    expect(capacity.memoryMb).to.equal(Math.floor(totalmem() / (1024 * 1024)));
    expect(capacity.diskMb).to.be.greaterThan(0);
    expect(capacity.containers).to.equal(250);
  });

  it('takes each figure from a flag when one is given', async () => {
    expect(await measureCapacity(process.cwd(), { memoryMb: 2048, diskMb: 10_000, containers: 12 })).to.deep.equal({
      memoryMb: 2048, diskMb: 10_000, containers: 12,
    });
  });
});
