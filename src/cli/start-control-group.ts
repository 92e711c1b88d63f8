/**
 * `auctor start --roles control --etcd ...`: this node joins a control group (docs/054). It
 * starts as a standby: a gateway that answers `/v1/ping` and `/v1/leader` and sends everything
 * else to the active (307), membership role `control-standby` (cells follow the member with the
 * `control` role), no control actors. When it wins it replaces that gateway by the full one on
 * the same address and starts the control side, which recovers from its LMDB as after a restart.
 * When its own lease deadline passes (etcd out of reach) the active turns read-only: reads served,
 * writes 503, commands to cells stamped with a term every cell refuses. When etcd is back it leads
 * on (the same term, or a new one it wins), or, when another node leads, it stops: it exits
 * EXIT_STEPPED_DOWN for its supervisor to start it again as a standby.
 */
import { hostname } from 'node:os';
import type { DisposableStore } from '../base/disposables.js';
import type { Logger } from '../base/logger.js';
import type { ClusterNode } from '../runtime/cluster/cluster-node.js';
import { LeaderElection, type LeaderInfo, type LogPosition } from '../runtime/cluster/leader-election.js';
import type { GatewayLeadership } from '../gateway/leader.js';
import type { Gateway } from '../gateway/server.js';
import { startStandbyGateway } from '../gateway/standby.js';
import type { HostPort } from './flags.js';
import type { StartFlags } from './start-command.js';

/** The exit status of a control node that stopped leading: start it again, it rejoins as a standby. */
export const EXIT_STEPPED_DOWN = 3;

/** A standby's membership role: cells look for `control`, which only the active has. */
export const STANDBY_ROLE = 'control-standby';

/** The term stamped on commands to cells while this node does not lead: below every term a cell accepts. */
export const NOT_LEADING_TERM = -1;

export interface ControlGroupContext {
  flags: StartFlags;
  log: Logger;
  cluster: ClusterNode;
  /** this node's remoting address, `host:port` */
  listen: string;
  /** the node's parts, disposed in reverse on stop */
  parts: DisposableStore;
  /** starts the control side (stamping `term()` on its commands to cells) and the full gateway on `apiPort` */
  becomeActive(leadership: GatewayLeadership, apiPort: number, term: () => number): Promise<void>;
  /** the node stopped leading: stop the process */
  stepDown(): void;
  /** the journal shipping over this node's LMDB (a Replicator: src/runtime/persistence/replicator.ts) */
  replication: GroupReplication;
  /** the leader this node sees changed (undefined: none): a standby's router follows it */
  onLeader?(leader: LeaderInfo | undefined): void;
}

/** Where the journal shipping reaches a member: its name and remoting address. */
export interface GroupReplica {
  name: string;
  address: string;
}

/**
 * What the control group needs of the journal shipping: the part of its `Replication`
 * (src/runtime/persistence/replication.ts) the election drives. `lastLsn` decides who may win; a
 * winner becomes primary (sealing the old term first) before its control actors write; a node
 * that sees another leader is its standby; `superseded` (a standby sealed at a higher term)
 * steps the active down.
 */
export interface GroupReplication {
  lastLsn(): LogPosition;
  /** `publishSyncSet`: names the standbys whose acknowledgements count, in etcd (the election's synchronous set) */
  becomePrimary(term: number, standbys: GroupReplica[], publishSyncSet?: (members: string[]) => Promise<boolean>): Promise<void>;
  setStandbys(standbys: GroupReplica[]): void;
  becomeStandby(primary: GroupReplica | undefined): Promise<void>;
  onEvent(handler: (event: { type: string }) => void): () => void;
}

const isWildcard = (host: string) => host === '0.0.0.0' || host === '::' || host === '[::]';

const address = ({ host, port }: HostPort) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/** Starts the standby gateway and the election; undefined (logged, said on stderr) when the gateway cannot listen. */
export async function joinControlGroup(context: ControlGroupContext): Promise<{ api: string; leadership: GatewayLeadership } | undefined> {
  const { flags, log, parts, cluster } = context;
  const { replication } = context;
  // the lease deadline and a standby's refusal (superseded) may both end a lead: one stop, not a forced second
  let steppedDown = false;
  const stepDown = (reason: string) => {
    if (steppedDown) return;
    steppedDown = true;
    log.warn({ reason }, 'control-group.stepped-down');
    context.stepDown();
  };
  let active = false;
  // the primary ships to every member that is up as a standby
  // not this node: at its election it still has the standby role (the Replicator skips its own
  // address anyway, but the count of live standbys and the logs would include it)
  const standbys = (): GroupReplica[] => cluster.membership.members().filter((m) => m.name !== flags.name && m.status === 'up' && m.roles.includes(STANDBY_ROLE)).map((m) => ({ name: m.name, address: m.address }));
  // a standby judged down leaves the set; with fewer live standbys than --sync-standbys writes
  // wait (a 2xx means on that many standbys: no silent downgrade) and go on once one is back
  let tooFew = false;
  const shipTo = (): GroupReplica[] => {
    const live = standbys();
    if (tooFew !== live.length < flags.syncStandbys) {
      tooFew = !tooFew;
      if (tooFew) log.warn({ standbys: live.map((s) => s.name), sync_standbys: flags.syncStandbys }, 'control-group.too-few-standbys');
      else log.info({ standbys: live.map((s) => s.name), sync_standbys: flags.syncStandbys }, 'control-group.enough-standbys');
    }
    return live;
  };
  parts.add(cluster.membership.onEvent(() => active && replication.setStandbys(shipTo())));
  // a read-only active that sees another active in the membership (elected while this one could
  // not reach etcd; roles change without a membership event, so it looks) has lost
  const anotherActive = () => cluster.membership.members().some((m) => m.name !== flags.name && m.status === 'up' && m.roles.includes('control'));
  let lookingForAnother: ReturnType<typeof setInterval> | undefined;
  const stopLooking = () => clearInterval(lookingForAnother);
  parts.add(stopLooking);
  parts.add(replication.onEvent((event) => {
    if (event.type === 'superseded' && active) {
      log.warn({ event }, 'control-group.superseded');
      stepDown('superseded');
    }
  }));
  let election: LeaderElection | undefined;
  const leadership: GatewayLeadership = {
    holds: () => election?.holds() ?? false,
    leader: () => election?.leader(),
    readOnly: () => active && election?.readOnlyTerm() !== undefined,
  };
  let standby: Gateway | undefined;
  try {
    standby = await startStandbyGateway(leadership, flags.api.host, flags.api.port, flags.apiToken ? { token: flags.apiToken } : {});
  } catch (error) {
    log.error({ api: flags.api, error: (error as Error).message }, 'gateway.failed-to-listen');
    process.stderr.write(`auctor: the gateway cannot listen on ${flags.api.host}:${flags.api.port}: ${(error as Error).message}\n`);
    return undefined;
  }
  const { port: apiPort } = standby;
  // what clients are sent to: a wildcard address is no place to send them, the host name is
  const api = isWildcard(flags.api.host) ? `http://${hostname()}:${apiPort}` : standby.url;
  parts.add(() => standby?.close());
  const running = new LeaderElection({
    endpoints: flags.etcd.map(address),
    self: { name: flags.name, api, listen: context.listen },
    ttlMs: flags.leaderTtlMs,
    lastLsn: () => replication.lastLsn(),
    syncQuorum: flags.syncStandbys,
    log,
  });
  election = running;
  const publishSyncSet = (members: string[]) => running.publishSyncSet(members);
  // stopped before the gateway and the control side go: a leaving active hands over at once
  parts.add(() => running.stop());
  running.on('leader', (leader) => {
    log.info({ leader: leader ?? null }, 'control-group.leader');
    context.onLeader?.(leader);
    if (active || !leader || leader.name === flags.name) return;
    // a standby follows the active's log
    replication.becomeStandby({ name: leader.name, address: leader.listen }).catch((error: Error) => log.error({ error: error.message }, 'control-group.become-standby-failed'));
  });
  running.on('elected', (term) => {
    log.info({ term, sync_standbys: flags.syncStandbys }, 'control-group.elected');
    stopLooking();
    if (active) {
      // a read-only active won again: its control side never stopped, its store is the longest
      void replication.becomePrimary(term, shipTo(), publishSyncSet).then(
        () => log.info({ term, api }, 'control-group.resumed'),
        (error: Error) => {
          log.error({ term, error: error.message }, 'control-group.become-primary-failed');
          stepDown('become-primary-failed');
        },
      );
      return;
    }
    void (async () => {
      // sealed against the old term, and accepting writes, before any control actor writes
      try {
        await replication.becomePrimary(term, shipTo(), publishSyncSet);
      } catch (error) {
        log.error({ term, error: (error as Error).message }, 'control-group.become-primary-failed');
        stepDown('become-primary-failed');
        return;
      }
      active = true;
      const closing = standby;
      standby = undefined;
      await closing?.close();
      await context.becomeActive(leadership, apiPort, () => running.currentTerm() ?? NOT_LEADING_TERM);
      log.info({ term, api }, 'control-group.active');
    })();
  });
  running.on('read-only', (term, since) => {
    // `since`: when it stopped acknowledging (the fence); this line may come a little later
    log.warn({ term, since }, 'control-group.read-only');
    stopLooking();
    lookingForAnother = setInterval(() => {
      if (running.readOnlyTerm() === undefined) return stopLooking();
      if (!anotherActive()) return;
      log.warn({ term }, 'control-group.another-active');
      stopLooking();
      stepDown('another-active');
    }, 100);
  });
  running.on('resumed', (term) => {
    stopLooking();
    log.info({ term, api }, 'control-group.resumed');
  });
  running.on('lost', (reason) => {
    stopLooking();
    stepDown(reason);
  });
  running.start();
  log.info({ etcd: flags.etcd.map(address), leader_ttl_ms: flags.leaderTtlMs, api }, 'control-group.standby');
  return { api, leadership };
}
