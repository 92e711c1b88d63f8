/** Nodes of a fake cluster for membership tests: memberships on the fake remoting hub and a FakeClock. */
import { Membership, type MemberEvent, type MembershipOptions } from '../../../src/runtime/cluster/membership.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeRemotingHub, type FakeRemoting } from '../../support/fake-remoting.js';

export interface TestNode {
  name: string;
  membership: Membership;
  endpoint: FakeRemoting;
  /** every event this node's membership reported, with the fake time it happened */
  events: Array<MemberEvent & { at: number }>;
}

export class TestCluster {
  readonly clock = new FakeClock();
  readonly hub = new FakeRemotingHub({ clock: this.clock });
  private readonly nodes: TestNode[] = [];

  start(name: string, options: { seeds?: string[]; incarnation?: number; roles?: string[]; address?: string } & Partial<MembershipOptions> = {}): TestNode {
    const { seeds = [], incarnation = 1, roles = ['cell'], address, ...rest } = options;
    const endpoint = this.hub.endpoint(name, { incarnation, address: address ?? `${name}:7777` });
    const membership = new Membership({ remoting: endpoint, roles, seeds, clock: this.clock, random: () => 0.5, ...rest });
    const node: TestNode = { name, membership, endpoint, events: [] };
    membership.onEvent((event) => node.events.push({ ...event, at: this.clock.now() }));
    membership.start();
    this.nodes.push(node);
    return node;
  }

  /** kill -9: the node says nothing more; its timers are disposed as the dead process's would be. */
  crash(node: TestNode): void {
    node.endpoint.kill();
    node.membership.stop();
  }

  async advance(ms: number): Promise<void> {
    await this.clock.advance(ms);
  }

  /** Stops every membership; fails if a handler threw on the way (a correct receiver never does). */
  stopAll(): void {
    for (const node of this.nodes) node.membership.stop();
    if (this.hub.handlerErrors.length > 0) throw new Error(`handlers threw: ${this.hub.handlerErrors.map(String).join('; ')}`);
  }
}

/** `name`'s status in `node`'s view. */
export function statusOf(node: TestNode, name: string): string | undefined {
  return node.membership.member(name)?.status;
}

/** The events `node` reported about `name`, as `type@incarnation` (with the down reason). */
export function eventsAbout(node: TestNode, name: string): string[] {
  return node.events
    .filter((e) => e.member.name === name)
    .map((e) => `${e.type}@${e.member.incarnation}${e.type === 'member-down' ? `:${e.reason}` : ''}`);
}
