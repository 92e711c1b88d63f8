import { expect } from 'chai';
import { detectorSettings } from '../../../src/runtime/cluster/failure-detector.js';
import { MemberTable, type MemberEvent } from '../../../src/runtime/cluster/member-table.js';

const settings = detectorSettings(1000, 5000);
const self = { name: 'control', incarnation: 1, address: 'c:1', roles: ['control'] };
const cell = (incarnation: number) => ({ name: 'cell-1', incarnation, address: 'cell-1:1', roles: ['cell'] });
const tags = (events: MemberEvent[]) => events.map((e) => `${e.type}@${e.member.incarnation}`);

/** cell-1 incarnation 5 heard at 0, 1000, ..., 9000. */
function tableWithCell(): MemberTable {
  const table = new MemberTable(self, 'up', 0, settings);
  for (let t = 0; t < 10_000; t += 1000) table.heard(cell(5), t);
  return table;
}

describe('member table', () => {
  it('heard directly: an unknown member is up at once, announced once', () => {
    const table = new MemberTable(self, 'up', 0, settings);
    expect(tags(table.heard(cell(5), 0))).to.deep.equal(['member-up@5']);
    expect(tags(table.heard(cell(5), 1000))).to.deep.equal([]);
    expect(table.get('cell-1')).to.include({ status: 'up', lastHeartbeatAt: 1000, upSince: 0 });
  });

  it('a newer incarnation replaces the old (down, then up); an older one is ignored', () => {
    const table = tableWithCell();
    expect(tags(table.heard(cell(4), 9500))).to.deep.equal([]);
    expect(table.get('cell-1')!.incarnation).to.equal(5);
    expect(tags(table.heard(cell(6), 9500))).to.deep.equal(['member-down@5', 'member-up@6']);
    expect(table.get('cell-1')).to.include({ incarnation: 6, status: 'up' });
  });

  it('roles change within an incarnation: taken from each heartbeat, and the node can change its own (a standby that wins)', () => {
    const table = new MemberTable(self, 'up', 0, settings);
    const standby = { name: 'control-2', incarnation: 3, address: 'c2:1', roles: ['control-standby'] };
    table.heard(standby, 0);
    expect(tags(table.heard({ ...standby, roles: ['control'] }, 1000))).to.deep.equal([]);
    expect(table.get('control-2')).to.include({ status: 'up', incarnation: 3 }).and.have.deep.property('roles', ['control']);
    table.setSelfRoles(['control-standby']);
    expect(table.self.roles).to.deep.equal(['control-standby']);
    expect(table.gossip()[0]).to.include({ name: 'control' }).and.have.deep.property('roles', ['control-standby']);
  });

  it('learnt second-hand: joining without an announcement, up once heard', () => {
    const table = new MemberTable(self, 'up', 0, settings);
    expect(table.learn(cell(5), 0)).to.deep.equal({ events: [], news: true });
    expect(table.learn(cell(5), 10)).to.deep.equal({ events: [], news: false });
    expect(table.get('cell-1')!.status).to.equal('joining');
    expect(tags(table.heard(cell(5), 100))).to.deep.equal(['member-up@5']);
  });

  it('a member learnt of but never heard goes down silently after the silence cap', () => {
    const table = new MemberTable(self, 'up', 0, settings);
    table.learn(cell(5), 0);
    expect(table.judge(settings.maxSilenceMs - 1)).to.deep.equal([]);
    expect(table.judge(settings.maxSilenceMs)).to.deep.equal([]);
    expect(table.get('cell-1')!.status).to.equal('down');
  });

  it('second-hand news never revives a member this node judged down; hearing it directly does', () => {
    const table = tableWithCell();
    expect(tags(table.judge(11_900))).to.deep.equal(['member-suspect@5']);
    expect(tags(table.judge(13_000))).to.deep.equal(['member-down@5']);
    expect(table.learn(cell(5), 14_000).events).to.deep.equal([]);
    expect(table.get('cell-1')!.status).to.equal('down');
    expect(tags(table.heard(cell(5), 14_000))).to.deep.equal(['member-up@5']);
    expect(table.get('cell-1')).to.include({ status: 'up', upSince: 14_000 });
  });

  it('suspect and back: reachable, no second up', () => {
    const table = tableWithCell();
    expect(tags(table.judge(11_900))).to.deep.equal(['member-suspect@5']);
    expect(tags(table.heard(cell(5), 11_950))).to.deep.equal(['member-reachable@5']);
    expect(table.get('cell-1')!.status).to.equal('up');
  });

  it('left is final for the incarnation: later heartbeats and gossip do not bring it back', () => {
    const table = tableWithCell();
    expect(tags(table.leave('cell-1', 5, 9500))).to.deep.equal(['member-left@5']);
    expect(tags(table.leave('cell-1', 5, 9600))).to.deep.equal([]);
    expect(tags(table.heard(cell(5), 9700))).to.deep.equal([]);
    expect(table.learn(cell(5), 9800).events).to.deep.equal([]);
    expect(table.judge(20_000)).to.deep.equal([]);
    expect(table.get('cell-1')!.status).to.equal('left');
  });

  it('gossip carries itself and every member not down, left ones marked; the digest tells tables apart', () => {
    const a = tableWithCell();
    const b = new MemberTable(self, 'up', 0, settings);
    b.learn(cell(5), 0);
    expect(a.digest()).to.equal(b.digest());
    a.leave('cell-1', 5, 9500);
    expect(a.gossip()).to.deep.equal([self, { ...cell(5), left: true }]);
    expect(a.digest()).to.not.equal(b.digest());
    const c = tableWithCell();
    c.judge(20_000);
    expect(c.gossip()).to.deep.equal([self]);
  });

  it('down and left members are forgotten after a while', () => {
    const table = tableWithCell();
    table.judge(13_000);
    expect(table.removeExpired(13_000 + 29_999, 30_000)).to.deep.equal([]);
    expect(table.removeExpired(13_000 + 30_000, 30_000)).to.deep.equal(['cell-1']);
    expect(table.get('cell-1')).to.equal(undefined);
  });
});
