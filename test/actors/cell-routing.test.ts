import { expect } from 'chai';
import { cellRouting } from '../../src/actors/cell-client.js';
import { EventHub } from '../../src/actors/event-hub.js';
import type { Member } from '../../src/runtime/cluster/member.js';
import type { RemoteActorRef } from '../../src/runtime/kernel/protocol.js';
import { ActorSystem } from '../../src/runtime/kernel/system.js';
import { Events } from '../../src/models/events.js';
import { fakePresence } from '../support/fake-cells.js';

const member = (name: string, address: string, status: Member['status'] = 'up', roles = ['cell']): Member =>
  ({ name, incarnation: 1, address, roles, status, lastHeartbeatAt: undefined, upSince: undefined, since: 0 });

describe('cellRouting: how the control role reaches a cell', () => {
  let system: ActorSystem;
  let events: EventHub;
  let members: Member[];
  /** where the cell clients' messages went: node and path */
  let sent: string[];
  let n = 0;
  const membership = { member: (name: string) => members.find((m) => m.name === name), members: () => members };

  beforeEach(() => {
    system = ActorSystem.start({ name: `cell-routing-${n++}` });
    sent = [];
    system.routeRemote({
      dispatch: (ref: RemoteActorRef) => (sent.push(`${ref.node} ${ref.at}`), true),
      query: () => Promise.reject(new Error('not in this test')),
    });
    events = new EventHub();
    members = [member('control', '127.0.0.1:7001', 'up', ['control']), member('sim', '127.0.0.1:7002')];
  });
  afterEach(() => system.shutdown());

  const appeared = (cellId: string, repAddress: string) => events.publish(Events.cellAppeared({ ...fakePresence(cellId), rep_address: repAddress }));

  it('a cell on the member of its name: reached on that member', () => {
    members.push(member('cell-1', '127.0.0.1:7003'));
    const client = cellRouting(system, membership, events)('cell-1');
    expect(client?.cellId).to.equal('cell-1');
    client!.reconcile!();
    expect(sent).to.deep.equal(['cell-1 /cell-cell-1']);
  });

  it('a cell hosted by a member of another name: reached on the member listening at its rep_address', () => {
    const clientFor = cellRouting(system, membership, events);
    appeared('sim-0001', '127.0.0.1:7002');
    const client = clientFor('sim-0001');
    expect(client?.cellId).to.equal('sim-0001');
    client!.stopInstance('web', 0, 'guid-1');
    expect(sent).to.deep.equal(['sim /cell-sim-0001']);
  });

  it('no client when the member at that address is down or not a cell, when nothing listens there, or once the cell disappeared', () => {
    const clientFor = cellRouting(system, membership, events);
    appeared('a', '127.0.0.1:7002');
    appeared('b', '127.0.0.1:7001');
    appeared('c', '127.0.0.1:7999');
    expect(clientFor('b'), 'the control member has no cell role').to.equal(undefined);
    expect(clientFor('c'), 'no member there').to.equal(undefined);
    expect(clientFor('unknown')).to.equal(undefined);
    members[1]!.status = 'down';
    expect(clientFor('a')).to.equal(undefined);
    members[1]!.status = 'up';
    expect(clientFor('a')).to.not.equal(undefined);
    events.publish(Events.cellDisappeared('a'));
    expect(clientFor('a')).to.equal(undefined);
  });
});
