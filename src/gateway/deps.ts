/** What the gateway's route files need from the node: one narrow record, built by the node. */
import type { Logger } from '../base/logger.js';
import type { ActorSystem } from '../runtime/kernel/system.js';
import type { Control } from '../actors/control.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';
import type { EventFeed } from './event-journal.js';
import type { EventStreamSettings } from './events.js';
import type { LogBuffer } from '../actors/log-buffer.js';
import type { MemberModel } from '../runtime/cluster/member.js';
import type { GatewayLeadership } from './leader.js';

/** The cluster as this node sees it (a Membership fits). */
export interface GatewayCluster {
  /** Every member this node knows, itself included (`self: true`); times in ms since the epoch. */
  models(): MemberModel[];
}

export interface GatewayDeps {
  /** the node's name: the first segment of actor paths */
  node: string;
  control: Control;
  system: ActorSystem;
  log: Logger;
  /** the node's metrics (fed by control); without it `/metrics` keeps a registry of its own */
  metrics?: NodeMetrics;
  /** the node's event hub, served as `GET /v1/events` */
  events: EventFeed;
  /** tuning of the event stream; defaults in `DEFAULT_EVENT_STREAM` */
  eventStream?: Partial<EventStreamSettings>;
  /** this node's containers' output, served by the logs routes; none on a node without a cell */
  logs?: LogBuffer;
  /**
   * the cluster's members: `GET /v1/members`, and the nodes `/v1/actors` reaches through their
   * `/cluster` actors (the system needs remoting attached); without it the node is alone
   */
  cluster?: GatewayCluster;
  /** the node's side of a control group's election (`--etcd`): `GET /v1/leader` and the fence; none = a lone control node */
  leadership?: GatewayLeadership;
}
