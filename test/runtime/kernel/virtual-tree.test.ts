import { expect } from 'chai';
import { NodeIntrospection } from '../../../src/runtime/kernel/introspection.js';
import { VirtualNode } from './virtual-support.js';

describe('virtual children: the tree', () => {
  let node: VirtualNode;
  const names = Array.from({ length: 30 }, (_, i) => `c${String(i).padStart(2, '0')}`);
  beforeEach(async () => {
    node = new VirtualNode();
    for (const name of names) await node.counters.add(name);
    await node.add('c03', 3);
    await node.add('c07', 7);
  });
  afterEach(() => node.close());

  it('counts passive children from the index and lists the active ones as children', () => {
    const holder = node.system.registry.get('/holder')!;
    expect(holder.virtual).to.deep.equal({ kind: 'counter', total: 30, active: 2, passive: 28 });
    const [tree] = node.system.registry.tree('/holder');
    expect(tree!.children.map((c) => c.name)).to.deep.equal(['c03', 'c07']);
    const view = new NodeIntrospection(node.system).tree().actors.find((a) => a.name === 'holder')!;
    expect(view.virtual_children).to.deep.equal({ kind: 'counter', total: 30, active: 2, passive: 28 });
    expect(view.children_count).to.equal(2);
  });

  it('pages through every child, passive ones with the summary of their last passivation, without activating any', async () => {
    await node.idle();
    await node.add('c07', 1);
    const seen: string[] = [];
    let page = node.counters.list({ limit: 7 });
    while (page.length > 0) {
      seen.push(...page.map((c) => c.name));
      page = node.counters.list({ limit: 7, after: page[page.length - 1]!.name });
    }
    expect(seen).to.deep.equal(names);
    const listed = node.counters.list({ limit: 100 });
    expect(listed.find((c) => c.name === 'c03')).to.deep.equal({ name: 'c03', path: '/holder/c03', status: 'passive', summary: { total: 3 } });
    expect(listed.find((c) => c.name === 'c07')?.status).to.equal('active');
    expect(listed.find((c) => c.name === 'c00')).to.deep.include({ status: 'passive', summary: null });
    expect(node.counters.counts()).to.include({ active: 1, passive: 29 });
    expect([...node.activations.keys()].sort()).to.deep.equal(['c03', 'c07']);
  });

  it('pages the passive children through the node introspection, with their status and paths under the node', async () => {
    await node.idle();
    const introspection = new NodeIntrospection(node.system);
    const first = introspection.virtualChildren('/holder', { limit: 25 });
    if (!first.ok) throw new Error(first.error.message);
    expect(first.value).to.include({ kind: 'counter', total: 30, active: 0, passive: 30, next_after: 'c24' });
    expect(first.value.children[3]).to.deep.equal({ path: `/${node.system.name}/holder/c03`, name: 'c03', status: 'passive', summary: { total: 3 } });
    const rest = introspection.virtualChildren('/holder', { limit: 25, after: 'c24' });
    if (!rest.ok) throw new Error(rest.error.message);
    expect(rest.value.children.map((c) => c.name)).to.deep.equal(names.slice(25));
    expect(rest.value.next_after).to.equal(undefined);
    expect(introspection.virtualChildren('/nowhere').ok).to.equal(false);
    expect(node.counters.counts().active).to.equal(0);
  });

  it('forgets a removed child: it is no longer counted, listed or activated', async () => {
    await node.counters.remove('c03');
    expect(node.counters.counts()).to.include({ total: 29, active: 1 });
    expect(node.counters.list({ limit: 100 }).map((c) => c.name)).to.not.include('c03');
    expect(node.system.deliver('/holder/c03', { type: 'add', n: 1 })).to.equal('no-such-actor');
  });

  it('counts a child added twice at once once, and activates one whose add is still being written', async () => {
    const adds = [node.counters.add('new'), node.counters.add('new')];
    expect(node.system.deliver('/holder/new', { type: 'add', n: 1 })).to.equal('delivered');
    await Promise.all(adds);
    expect(node.counters.counts()).to.include({ total: 31 });
    const removes = [node.counters.remove('new'), node.counters.remove('new')];
    expect(node.counters.has('new')).to.equal(false);
    await Promise.all(removes);
    expect(node.counters.counts()).to.include({ total: 30 });
  });
});
