import { expect } from 'chai';
import { canTransition, MEMBER_STATUSES, memberModel, newMember, transition, type MemberStatus } from '../../../src/runtime/cluster/member.js';

const info = { name: 'cell-1', incarnation: 7, address: '127.0.0.1:7001', roles: ['cell'] };

describe('cluster member', () => {
  it('allows exactly the transitions of its table', () => {
    const allowed: Record<MemberStatus, MemberStatus[]> = {
      joining: ['up', 'down', 'left'],
      up: ['suspect', 'down', 'left'],
      suspect: ['up', 'down', 'left'],
      down: [],
      left: [],
    };
    for (const from of MEMBER_STATUSES) {
      for (const to of MEMBER_STATUSES) {
        expect(canTransition(from, to), `${from} → ${to}`).to.equal(allowed[from].includes(to));
      }
    }
  });

  it('going up records the heartbeat and keeps the first upSince', () => {
    const joining = newMember(info, 'joining', 1000);
    expect(joining).to.include({ status: 'joining', lastHeartbeatAt: undefined, upSince: undefined });
    const up = transition(joining, 'up', 2000)!;
    expect(up).to.include({ status: 'up', lastHeartbeatAt: 2000, upSince: 2000, since: 2000 });
    const back = transition(transition(up, 'suspect', 5000)!, 'up', 6000)!;
    expect(back).to.include({ lastHeartbeatAt: 6000, upSince: 2000, since: 6000 });
  });

  it('refuses a change the table forbids: down is final', () => {
    const down = transition(newMember(info, 'up', 0), 'down', 10)!;
    expect(transition(down, 'up', 20)).to.equal(undefined);
    expect(transition(down, 'left', 20)).to.equal(undefined);
  });

  it('shows a member as GET /v1/members does', () => {
    expect(memberModel(newMember(info, 'up', 1234), false)).to.deep.equal({
      name: 'cell-1', incarnation: 7, roles: ['cell'], address: '127.0.0.1:7001', status: 'up', last_heartbeat: 1234, up_since: 1234, self: false,
    });
    expect(memberModel(newMember(info, 'joining', 1234), true)).to.include({ last_heartbeat: null, up_since: null, self: true });
  });
});
