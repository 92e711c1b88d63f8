/**
 * Virtual children whose own virtual children need their replayed state (docs/011 "Nesting",
 * `declaresChildrenLater`): an LRP supervisor declares its instances from its DesiredLRP. A
 * message, an ask or a durable timer for a grandchild whose parent is passive activates the
 * parent and waits until the parent declares its children on its first message.
 */
import { expect } from 'chai';
import type { Ref } from '../../../src/runtime/kernel/protocol.js';
import type { CrashPolicy, VirtualChildren, VirtualKindSpec } from '../../../src/runtime/kernel/system.js';
import { restartOrQuarantine } from '../../../src/runtime/kernel/supervision.js';
import { eventually } from '../../support/eventually.js';
import { counterKind, IDLE_MS, VirtualNode, type CounterEvent, type CounterMsg, type CounterState } from './virtual-support.js';

type GroupMsg = { type: 'wake' } | { type: 'label'; label: string; replyTo: Ref<true> };
interface GroupState { label: string | undefined }
type GroupEvent = { type: 'labelled'; label: string };
type Counters = VirtualChildren<CounterState, CounterMsg, CounterEvent>;

/** Groups under /holder: each declares its counters on its first message, from its replayed label. */
function groupKind(node: VirtualNode, inner: Map<string, Counters>, declaredWith: string[], innerPolicy: () => CrashPolicy | undefined): VirtualKindSpec<GroupState, GroupMsg, GroupEvent> {
  return {
    kind: 'group',
    idleAfterMs: IDLE_MS,
    declaresChildrenLater: { wake: () => ({ type: 'wake' }) },
    spec: (name) => {
      let declared = false;
      return {
        key: `group/${name}`,
        initialState: () => ({ label: undefined }),
        applyEvent: (_, e) => ({ label: e.label }),
        handle: async (s, msg, ctx) => {
          if (!declared && s.label !== undefined) {
            declared = true;
            const label = s.label;
            declaredWith.push(label);
            // the children's spec needs the replayed state: that is why they are declared here
            inner.set(name, node.system.spawnVirtualKind(ctx.self, counterKind(new Map(), innerPolicy(), `counter/${label}`)));
          }
          if (msg.type === 'label') {
            const next = await ctx.persist({ type: 'labelled', label: msg.label });
            ctx.system.dispatch(msg.replyTo, true);
            return next;
          }
          return s;
        },
      };
    },
  };
}

describe('virtual children: nested, declared on a later message', () => {
  let node: VirtualNode;
  const inner = new Map<string, Counters>();
  const declaredWith: string[] = [];
  let groups: VirtualChildren<GroupState, GroupMsg, GroupEvent>;
  let innerPolicy: CrashPolicy | undefined;

  beforeEach(async () => {
    innerPolicy = undefined;
    inner.clear();
    declaredWith.length = 0;
    node = new VirtualNode();
    node.declare = () => {
      groups = node.system.spawnVirtualKind(node.parent, groupKind(node, inner, declaredWith, () => innerPolicy));
    };
    await node.restart();
    await groups.add('g');
    await node.system.query<GroupMsg, true>(groups.ref('g'), (replyTo) => ({ type: 'label', label: 'blue', replyTo }), 2_000);
    // its first message after the label declares its counters
    await node.system.query<GroupMsg, true>(groups.ref('g'), (replyTo) => ({ type: 'label', label: 'blue', replyTo }), 2_000);
    await inner.get('g')!.add('x');
  });
  afterEach(() => node.close());

  const getX = () => node.system.query<CounterMsg, CounterState>(inner.get('g')!.ref('x'), (replyTo) => ({ type: 'get', replyTo }), 2_000);
  const passivateAll = async () => {
    for (let i = 0; i < 4; i++) await node.clock.advance(IDLE_MS);
    expect(node.system.lookup('/holder/g')).to.equal(undefined);
  };

  it('a message and an ask for a grandchild of a passive parent wait for the parent to declare its children, in order', async () => {
    expect(node.system.deliver('/holder/g/x', { type: 'add', n: 1 })).to.equal('delivered');
    await eventually(async () => expect((await getX()).seen).to.deep.equal([1]));
    await passivateAll();

    const deadBefore = node.system.registry.deadLetters;
    expect(node.system.deliver('/holder/g/x', { type: 'add', n: 2 })).to.equal('delivered');
    expect(node.system.dispatch(inner.get('g')!.ref('x'), { type: 'add', n: 3 })).to.equal(true);
    // an ask through a ref held from before: it waits for the declaration too
    const held = inner.get('g')!;
    const state = await node.system.query<CounterMsg, CounterState>(held.ref('x'), (replyTo) => ({ type: 'get', replyTo }), 2_000);
    expect(state.seen).to.deep.equal([1, 2, 3]);
    expect(declaredWith).to.deep.equal(['blue', 'blue']);
    expect(node.system.registry.deadLetters).to.equal(deadBefore);
  });

  it('a durable timer of a grandchild fires while its parent is passive, and after a node restart', async () => {
    await node.system.query<CounterMsg, true>(inner.get('g')!.ref('x'), (replyTo) => ({ type: 'schedule', delayMs: 10 * IDLE_MS, replyTo }), 2_000);
    await passivateAll();
    await node.clock.advance(10 * IDLE_MS);
    await eventually(async () => expect((await getX()).ticks).to.equal(1));

    await node.system.query<CounterMsg, true>(inner.get('g')!.ref('x'), (replyTo) => ({ type: 'schedule', delayMs: 10 * IDLE_MS, replyTo }), 2_000);
    await node.restart({ downForMs: 20 * IDLE_MS });
    await node.clock.advance(0);
    await eventually(async () => expect(inner.get('g')?.isActive('x')).to.equal(true));
    await eventually(async () => expect((await getX()).ticks).to.equal(2));
  });

  it('messages for the grandchild are dead letters when the parent stops before declaring its children', async () => {
    await passivateAll();
    const deadBefore = node.system.registry.deadLetters;
    // the parent is activated for it, and removed while it replays, before its first message
    expect(node.system.deliver('/holder/g/x', { type: 'add', n: 9 })).to.equal('delivered');
    expect(node.system.lookup('/holder/g')).to.not.equal(undefined);
    await groups.remove('g');
    await eventually(() => expect(node.system.registry.deadLetters).to.be.above(deadBefore));
  });

  it('a parent keeping a quarantined child is not passivated: the mark would go with it', async () => {
    innerPolicy = restartOrQuarantine(node.clock, { maxRestarts: 2, withinMs: 60_000 });
    await passivateAll();
    await inner.get('g')!.add('q');
    expect((await getX()).seen).to.deep.equal([]);
    for (let i = 0; i < 3; i++) node.system.dispatch(inner.get('g')!.ref('q'), { type: 'crash' });
    await eventually(() => expect(node.system.registry.quarantined('/holder/g/q')).to.not.equal(undefined));
    for (let i = 0; i < 6; i++) await node.clock.advance(IDLE_MS);
    expect(node.system.lookup('/holder/g/x'), 'its other child passivates').to.equal(undefined);
    expect(node.system.lookup('/holder/g')).to.not.equal(undefined);
    expect(node.system.registry.quarantined('/holder/g/q')).to.not.equal(undefined);
    expect(node.system.deliver('/holder/g/q', { type: 'add', n: 1 })).to.equal('quarantined');
  });
});
