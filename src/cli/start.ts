/**
 * `auctor start`: assembles one node, starting its parts in dependency order (container
 * backend, LMDB, actor system, scheduler, gateway, router) and stopping them in reverse on
 * SIGTERM/SIGINT. On SIGTERM a cell first drains when other live cells can take its instances
 * (`drainBeforeStop`); otherwise, and on SIGINT, containers are left running on stop: the next
 * start adopts them.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DisposableStore } from '../base/disposables.js';
import { createLogger } from '../base/logger.js';
import { ActorSystem } from '../runtime/kernel/system.js';
import { CellMsg } from '../actors/cell.protocol.js';
import { cellRouting, type TermSource } from '../actors/cell-client.js';
import { controlNode, spawnControlLink } from '../actors/control-link.js';
import type { Ref } from '../runtime/kernel/protocol.js';
import { drainBeforeStop, startScheduler } from '../actors/node.js';
import { startClusterPart, type ClusterPart } from './start-cluster.js';
import { EventHub } from '../actors/event-hub.js';
import { eventStreamSettingsFromEnv } from '../gateway/events.js';
import { startGateway, type Gateway } from '../gateway/server.js';
import type { GatewayLeadership } from '../gateway/leader.js';
import { EXIT_STEPPED_DOWN, joinControlGroup } from './start-control-group.js';
import { NodeMetrics } from '../metrics/node-metrics.js';
import type { GardenBackend } from '../garden/backend.js';
import { openBackend } from '../garden/open-backend.js';
import { LmdbPersistenceEngine } from '../runtime/persistence/lmdb-engine.js';
import { Replicator } from '../runtime/persistence/replicator.js';
import { remotingReplicationTransport } from '../runtime/remoting/replication-link.js';
import { startRouter, type Router } from '../router/router.js';
import { remoteRouteSource, SwitchableRouteSource } from '../router/active-routes.js';
import type { RouteSource } from '../router/route-feed.js';
import type { Remoting } from '../runtime/remoting/types.js';
import { chooseLogFormat, envName } from './flags.js';
import type { StartContext, StartFlags } from './start-command.js';

/** The longest a control node's recovery keeps membership from judging (250k instances recover in about 20 s). */
const RECOVERY_HOLD_MAX_MS = 120_000;

export async function startNode(flags: StartFlags, context: StartContext = { secretsOnCommandLine: [] }): Promise<void> {
  // before anything is opened: a nact the kernel was not written for ends here, exit 1, its message on stderr
  ActorSystem.assertCanStart();
  const data = resolve(flags.data);
  const log = createLogger({ base: { node: flags.name }, format: chooseLogFormat(flags.logFormat, process.stdout.isTTY === true) });
  for (const name of context.secretsOnCommandLine) {
    log.warn({ flag: `--${name}`, env: envName(name), hint: `any user can read it in ps; set ${envName(name)} instead` }, 'auctor.token-on-command-line');
  }
  mkdirSync(data, { recursive: true });
  // each part is added as it starts; stop and the failures on the way up dispose them in reverse
  const parts = new DisposableStore();
  let garden: GardenBackend | undefined;
  let containersLeft: number | undefined;
  if (flags.roles.includes('cell')) {
    try {
      garden = await openBackend({
        backend: flags.backend,
        dataDir: data,
        node: flags.name,
        rootfs: flags.rootfs ?? {},
        capacity: {
          ...(flags.memoryMb === undefined ? {} : { memoryMb: flags.memoryMb }),
          ...(flags.diskMb === undefined ? {} : { diskMb: flags.diskMb }),
          containers: flags.containers,
        },
        gracefulStopMs: flags.gracefulStopMs,
        logger: log,
      });
    } catch (error) {
      log.error({ backend: flags.backend, error: (error as Error).message }, 'cell.garden-unavailable');
      process.stderr.write(`auctor: ${(error as Error).message}\n`);
      process.exit(1);
    }
    const backend = garden;
    // containers keep running: the next start adopts them, and the operator is told so
    parts.add(async () => {
      containersLeft = await runningContainers(backend);
      await backend.close();
    });
    const containers = await garden.containers();
    log.info({ backend: garden.name, capacity: await garden.capacity(), rootfses: garden.rootfses(), adopted: containers.length }, 'cell.garden-ready');
  }
  const engine = parts.add(LmdbPersistenceEngine.open(join(data, 'lmdb')));
  // in a control group the control side starts only once this node wins (start-control-group.ts)
  const group = flags.etcd.length > 0;
  // a standby's store follows the active's (journal shipping): its timers are the active's, and fire once it leads
  const system = ActorSystem.start({ name: flags.name, engine, logger: log, deferTimers: group });
  let listening: Remoting | undefined;
  let shipping: Replicator | undefined;
  // the actor system shuts down before the journal shipping and remoting close, though they start after it
  parts.add(async () => {
    await system.shutdown();
    shipping?.close();
    await listening?.close();
  });
  const metrics = new NodeMetrics({ system, processMetrics: true });
  let clustered: ClusterPart;
  try {
    clustered = await startClusterPart(flags, system, log);
  } catch (error) {
    log.error({ listen: flags.listen, error: (error as Error).message }, 'remoting.failed-to-listen');
    process.stderr.write(`auctor: remoting cannot listen on ${flags.listen.host}:${flags.listen.port}: ${(error as Error).message}\n`);
    await parts.dispose();
    process.exit(1);
  }
  const { cluster, remoting } = clustered;
  listening = remoting;
  // every write of the engine goes through the journal shipping: refused until this node leads,
  // acknowledged once --sync-standbys standbys hold it (docs/012 "Replication", docs/054)
  const replication = group ? new Replicator(engine, remotingReplicationTransport(cluster.replicationRemoting), { syncStandbys: flags.syncStandbys, retainEntries: flags.replicationRetainEntries, log }) : undefined;
  shipping = replication;
  // leave first, so peers see `left` rather than a failure
  parts.add(() => cluster.stop());
  metrics.watchRemoting(remoting);
  parts.add(metrics);
  let cell: Ref<CellMsg> | undefined;
  const events = new EventHub();
  // `term`: a control group's active stamps it on its commands to cells (docs/054)
  const schedulerWith = (roles: StartFlags['roles'], term?: TermSource) => startScheduler(system, {
    roles,
    metrics: metrics.control,
    cellId: flags.name,
    events,
    // cells on other nodes, over remoting; a cell alone on its node reports to the control node
    clientFor: cellRouting(system, cluster.membership, events, term),
    // once a control node hears from this cell (again), the cell lists its containers to it
    ...(roles.includes('control') || !roles.includes('cell') ? {} : {
      reports: spawnControlLink(system, { controlNode: () => controlNode(cluster), onControlReached: () => cell && system.dispatch(cell, CellMsg.reconcile()) }),
    }),
    ...(garden ? { backend: garden } : {}),
    zone: flags.zone,
    placementTags: flags.placementTags,
    optionalPlacementTags: flags.optionalPlacementTags,
    cell: {
      gracefulStopMs: flags.gracefulStopMs,
      unhealthyIntervalMs: flags.unhealthyIntervalMs,
      healthyIntervalMs: flags.healthyIntervalMs,
      heartbeatMs: flags.heartbeatMs,
      evacuationTimeoutMs: flags.evacuationTimeoutMs,
    },
    control: {
      cellTtlMs: flags.cellTtlMs,
      convergenceIntervalMs: flags.convergenceIntervalMs,
      taskRetries: flags.taskRetries,
      completedTaskTtlMs: flags.completedTaskTtlMs,
      maxInstances: flags.maxInstances,
      instanceIdleMs: flags.idleMs,
      maxActiveInstances: flags.maxActiveInstances,
      supervisorIdleMs: flags.idleMs,
      restart: {
        immediateRestarts: flags.immediateRestarts,
        backoffMs: flags.crashBackoffMs,
        maxBackoffMs: flags.crashBackoffMaxMs,
        maxRestarts: flags.maxRestarts,
        crashResetMs: flags.crashResetMs,
      },
    },
  });
  let scheduler = schedulerWith(group ? flags.roles.filter((r) => r !== 'control') : flags.roles);
  cell = scheduler.cell;

  let gateway: Gateway | undefined;
  let router: Router | undefined;
  /** The control side's edges: recovery hold, gateway, router; exits 1 when the gateway cannot listen. */
  const serveControl = async (leadership?: GatewayLeadership, apiPort = flags.api.port) => {
    const control = scheduler.control!;
    // judge no member while the control side recovers (its index rebuild and every cell's list
    // delay the reading of heartbeats), then for a member TTL more (docs/052)
    const release = cluster.membership.holdVerdicts(RECOVERY_HOLD_MAX_MS);
    void control.queries.recovered.then(release);
    metrics.watchControl(control);
    try {
      gateway = await startGateway(
        { node: flags.name, control, system, log, metrics, events: scheduler.events, eventStream: eventStreamSettingsFromEnv(process.env), logs: scheduler.logs, cluster: cluster.membership, ...(leadership ? { leadership } : {}) },
        flags.api.host, apiPort, flags.apiToken ? { token: flags.apiToken } : {},
      );
      // stops taking requests; in-flight ones finish (fastify drains, then closes)
      parts.add(gateway);
    } catch (error) {
      log.error({ api: flags.api, error: (error as Error).message }, 'gateway.failed-to-listen');
      process.stderr.write(`auctor: the gateway cannot listen on ${flags.api.host}:${apiPort}: ${(error as Error).message}\n`);
      await parts.dispose();
      process.exit(1);
    }
    const local: RouteSource = { events$: scheduler.events.events$, lrps: () => control.lrps(), actualLrps: () => control.actualLrps() };
    // a standby's router, which read the active's routes, reads this node's own from now on
    if (standbyRoutes) return standbyRoutes.switchTo(local);
    await serveRoutes(local);
  };
  /** Starts the router after the gateway; a busy router port must not stop a newcomer's node (API.md: `off` disables). */
  const serveRoutes = async (source: RouteSource, waitForRoutes = true) => {
    if (flags.router === 'off') return;
    const { host, port } = flags.router;
    try {
      router = parts.add(await startRouter(source, { host, port, log }));
      log.info({ url: router.url }, 'router.listening');
      // `auctor.started` means routing works; a control side too busy to answer gets 503s meanwhile
      if (waitForRoutes) await Promise.race([router.feed.loaded, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    } catch (error) {
      const reason = (error as Error).message;
      log.error({ router: flags.router, error: reason }, 'router.failed-to-listen');
      process.stderr.write(`auctor: warning: the router cannot listen on ${host}:${port} (${reason}); running without it. Choose another with --router HOST:PORT, or --router off.\n`);
    }
  };
  // a standby's router reads the active's gateway (docs/054): a router in front of every control node routes through a failover
  let standbyRoutes: SwitchableRouteSource | undefined;
  let activeApi: string | undefined;
  let standbyApi: string | undefined;
  let onSteppedDown = (): void => process.exit(EXIT_STEPPED_DOWN);
  if (replication) {
    const joined = await joinControlGroup({
      flags, log, cluster, listen: remoting.self.address, parts, replication,
      // the winner recovers from its LMDB as after a restart, cells get the fair window (docs/020)
      becomeActive: async (leadership, apiPort, term) => {
        system.startTimers();
        scheduler = schedulerWith(['control'], term);
        cluster.setRoles(flags.roles);
        await serveControl(leadership, apiPort);
      },
      // `stop` is defined below; until then a node that stopped leading exits at once
      stepDown: () => onSteppedDown(),
      onLeader: (leader) => {
        const api = leader && leader.name !== flags.name ? leader.api : undefined;
        if (api === activeApi) return;
        activeApi = api;
        standbyRoutes?.reconnect('the active control node changed');
      },
    });
    if (!joined) {
      await parts.dispose();
      process.exit(1);
    }
    standbyApi = joined.api;
    if (!gateway && flags.router !== 'off') {
      standbyRoutes = new SwitchableRouteSource(remoteRouteSource({ api: () => activeApi, ...(flags.apiToken ? { token: flags.apiToken } : {}) }));
      // not waited for: there may be no active yet
      await serveRoutes(standbyRoutes, false);
    }
  } else if (scheduler.control) await serveControl();

  let stopping = false;
  const stop = async (signal: 'SIGTERM' | 'SIGINT' | 'stepped-down') => {
    if (stopping) {
      // a second signal while stopping: the operator wants out now
      log.warn({ signal }, 'auctor.stop-forced');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'auctor.stopping');
    // the gateway keeps answering while the cell drains, so operators can watch it
    if (signal === 'SIGTERM') await drain();
    // then router, gateway, metrics, cluster, actor system and remoting, LMDB, containers; a part
    // that fails to stop is logged (the others still stopped) and the exit says so
    const failed = await parts.dispose().then(() => undefined, (error: unknown) => error);
    if (failed !== undefined) {
      log.error({ error: failed instanceof Error ? failed.message : String(failed) }, 'auctor.stop-failed');
      process.exit(1);
    }
    const note = garden?.name === 'fake' ? 'the fake backend keeps nothing: the next start begins empty' : 'containers keep running; the next auctor start on this --data adopts them';
    log.info(containersLeft === undefined ? {} : { containers_left_running: containersLeft, note }, 'auctor.stopped');
    // a control node that stopped leading exits for its supervisor to start it again as a standby
    process.exit(signal === 'stepped-down' ? EXIT_STEPPED_DOWN : 0);
  };
  const drain = async () => {
    try {
      const outcome = await drainBeforeStop(system, scheduler, clustered.liveCells);
      if ('skipped' in outcome) {
        if (outcome.skipped !== 'no-cell-role') log.info({ reason: outcome.skipped }, 'cell.drain-skipped');
      } else log.info(outcome.drained, 'auctor.drained');
    } catch (error) {
      // the drain is bounded by its own timeout; whatever is left is adopted by the next start
      log.warn({ error: (error as Error).message }, 'cell.drain-failed');
    }
  };
  onSteppedDown = () => void stop('stepped-down');
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  // a cell counts as started once it is part of the cluster (API.md)
  await cluster.joined();
  const api = gateway?.url ?? standbyApi;
  log.info({ roles: flags.roles, data, listen: remoting.self.address, ...(group ? { control_group: gateway ? 'active' : 'standby' } : {}), ...(api ? { api } : {}), ...(router ? { router: router.url } : {}), node_flags: process.execArgv }, 'auctor.started');
  // the actors' timers are unref'd: this keeps the process up until a signal
  await new Promise<void>(() => setInterval(() => {}, 1 << 30));
}

/** Containers still active in the backend (one that cannot say counts as active); undefined if the backend cannot list them. */
async function runningContainers(garden: GardenBackend): Promise<number | undefined> {
  try {
    const states = await Promise.all((await garden.containers()).map((c) => c.info().then((i) => i.state, () => 'active')));
    return states.filter((s) => s === 'active').length;
  } catch {
    return undefined;
  }
}
