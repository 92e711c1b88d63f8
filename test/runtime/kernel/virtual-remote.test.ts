import { expect } from 'chai';
import { ActorSystem } from '../../../src/runtime/kernel/system.js';
import { remoteRef } from '../../../src/runtime/kernel/protocol.js';
import { attachRemoting, type RemoteNode } from '../../../src/runtime/remoting/remote-node.js';
import { StaticNodeDirectory } from '../../../src/runtime/remoting/remote-directory.js';
import { eventually } from '../../support/eventually.js';
import { FakeRemotingHub } from '../../support/fake-remoting.js';
import { VirtualNode, type CounterMsg, type CounterState } from './virtual-support.js';

describe('virtual children: remote delivery', () => {
  let hub: FakeRemotingHub;
  let node: VirtualNode;
  let other: ActorSystem;
  let remotes: RemoteNode[];
  let run = 0;

  beforeEach(() => {
    hub = new FakeRemotingHub();
    node = new VirtualNode();
    other = ActorSystem.start({ name: `virtual-other-${process.pid}-${run++}` });
    const endpoints = [hub.endpoint(node.system.name), hub.endpoint(other.name)];
    const directory = new StaticNodeDirectory(hub.identities());
    remotes = [attachRemoting(node.system, endpoints[0]!, directory), attachRemoting(other, endpoints[1]!, directory)];
  });
  afterEach(async () => {
    for (const r of remotes) r.detach();
    await hub.close();
    await other.shutdown();
    await node.close();
  });

  it('activates a passive child for a message and for an ask from another node', async () => {
    await node.counters.add('far');
    await node.add('far', 1);
    await node.idle();
    expect(node.counters.isActive('far')).to.equal(false);

    const ref = remoteRef<CounterMsg>(node.system.name, '/holder/far');
    expect(other.dispatch(ref, { type: 'add', n: 2 })).to.equal(true);
    await eventually(() => expect(node.counters.isActive('far')).to.equal(true));
    await eventually(async () => expect((await node.get('far')).total).to.equal(3));
    await node.idle();
    expect(node.counters.isActive('far')).to.equal(false);
    const state = await other.query<CounterMsg, CounterState>(ref, (replyTo) => ({ type: 'get', replyTo }), 5_000);
    expect(state.seen).to.deep.equal([1, 2]);
  });
});
