/**
 * Where a node name leads: remote refs name a node, remoting needs its address and current
 * incarnation on every send. Membership (src/runtime/cluster/) provides the live implementation; the
 * static one here serves tests and fixed clusters.
 */
import type { NodeIdentity } from './types.js';

export interface NodeDirectory {
  /** The remoting address (`host:port`) of `node`'s current incarnation; undefined when it is not a live member. */
  address(node: string): string | undefined;
  /** `node`'s current incarnation; undefined when it is not a live member. */
  incarnation(node: string): number | undefined;
}

/** A directory that changes only when told. */
export class StaticNodeDirectory implements NodeDirectory {
  private readonly nodes = new Map<string, NodeIdentity>();

  constructor(nodes: Iterable<NodeIdentity> = []) {
    for (const node of nodes) this.set(node);
  }

  /** Adds `node`, or replaces the entry of its name (a restart: a new incarnation). */
  set(node: NodeIdentity): void {
    this.nodes.set(node.name, { ...node });
  }

  remove(name: string): void {
    this.nodes.delete(name);
  }

  address(node: string): string | undefined {
    return this.nodes.get(node)?.address;
  }

  incarnation(node: string): number | undefined {
    return this.nodes.get(node)?.incarnation;
  }
}
