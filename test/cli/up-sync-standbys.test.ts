/** `auctor up --controls N` chooses --sync-standbys = min(1, N - 2) unless the operator gave it (docs/040, docs/054). */
import { expect } from 'chai';
import { chooseSyncStandbys } from '../../src/cli/up-command.js';

describe('auctor up: --sync-standbys of a control group', () => {
  it('is 0 for 2 control nodes (the survivor of a failover has no standby) and 1 from 3 on, with the reason', () => {
    const two = chooseSyncStandbys(2, [], {});
    expect(two).to.include({ sync_standbys: 0, chosen: true });
    expect(two.reason).to.contain('no standby left');
    expect(chooseSyncStandbys(3, [], {})).to.include({ sync_standbys: 1, chosen: true });
    expect(chooseSyncStandbys(5, [], {})).to.include({ sync_standbys: 1, chosen: true });
  });

  it('keeps what the operator gave, as a flag or in the environment', () => {
    expect(chooseSyncStandbys(2, ['--sync-standbys', '1'], {})).to.include({ sync_standbys: '1', chosen: false });
    expect(chooseSyncStandbys(3, ['--sync-standbys=0'], {})).to.include({ sync_standbys: '0', chosen: false });
    expect(chooseSyncStandbys(2, [], { AUCTOR_SYNC_STANDBYS: '1' })).to.deep.include({ sync_standbys: '1', chosen: false, reason: 'given with AUCTOR_SYNC_STANDBYS' });
  });
});
