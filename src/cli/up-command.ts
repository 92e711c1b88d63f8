/**
 * `auctor up --cells N`: a local cluster of N + 1 `auctor start` processes on loopback: the
 * control node first (gateway, router, remoting on --listen), then N cell nodes joining it
 * (`cell-1..N`, remoting on the ports after the control's, zones z1..z3 in turn). Each child's
 * output lines are prefixed with its name; one `auctor.started` line follows once all are up.
 * SIGINT/SIGTERM stop them all with SIGINT (no drain: the whole cluster is going) and `up` exits
 * 0; a second signal kills them.
 */
import type { Command } from 'commander';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { count, countIn, flag, hostPort, invalid, type HostPort } from './flags.js';
import { ETCD_INSTALL_HINT, etcdInstalled, startLocalEtcd, type LocalEtcd } from './local-etcd.js';
import { EXIT_STEPPED_DOWN } from './start-control-group.js';
import { NODE_FLAGS } from './node-flags.js';

const bin = fileURLToPath(new URL('../../../bin/auctor.js', import.meta.url));
const ZONES = ['z1', 'z2', 'z3'];

interface UpFlags {
  cells: number;
  controls: number;
  data: string;
  api: HostPort;
  router: string;
  listen: HostPort;
  zone?: string;
}

interface Child {
  name: string;
  process: ChildProcess;
  /** the child's `auctor.started` line */
  started: Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

const address = ({ host, port }: HostPort) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

export function addUpCommand(program: Command): void {
  program
    .command('up')
    .description(
      'Run a local cluster in the foreground until Ctrl-C: one control node (gateway on --api, ' +
        'router on --router, remoting on --listen) and --cells cell nodes (cell-1..N, remoting on ' +
        'the next ports, zones z1..z3 in turn unless --zone), each its own `auctor start` process ' +
        'with its data in --data/<name>. Every other flag goes to every node (see `auctor start ' +
        '--help`). Output lines are prefixed with the node name; `auctor.started` once all are up. ' +
        'SIGINT/SIGTERM stops them all (without draining) and exits 0.',
    )
    .addOption(flag('cells', 'n', 'cell nodes').default(1).argParser(count('cells')))
    .addOption(flag('controls', 'n', 'control nodes; more than one form a control group (one active, the others standbys) on a local etcd, which must be installed; --sync-standbys then defaults to min(1, controls - 2), said in an up.sync-standbys line').default(1).argParser(countIn('controls', 1, 9)))
    .addOption(flag('data', 'dir', 'parent of the nodes\' data dirs').default('./.auctor'))
    .addOption(flag('api', 'host:port', "the control node's REST gateway").default({ host: '127.0.0.1', port: 8888 }, '127.0.0.1:8888').argParser(hostPort('api')))
    .addOption(flag('router', 'host:port|off', "the control node's HTTP router").default('127.0.0.1:8080'))
    .addOption(flag('listen', 'host:port', "the control node's remoting address; cells take the next ports (0: any free port)").default({ host: '127.0.0.1', port: 7777 }, '127.0.0.1:7777').argParser(hostPort('listen')))
    .addOption(flag('zone', 'zone', 'every cell\'s zone (default: z1..z3 in turn)'))
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (flags: UpFlags, command: Command) => {
      if (flags.controls > 1 && !etcdInstalled()) throw invalid(`invalid field: controls: ${flags.controls} control nodes elect their active through etcd, which is not on PATH: ${ETCD_INSTALL_HINT}`);
      process.exitCode = await up(flags, command.args);
    });
}

/**
 * A group's --sync-standbys, unless the operator gave it (flag or AUCTOR_SYNC_STANDBYS): at most
 * 1, and at most controls - 2, so that the survivor of a failover still has as many standbys as
 * it needs to acknowledge (docs/054): 2 control nodes ship asynchronously, 3 or more keep one
 * synchronous standby.
 */
export function chooseSyncStandbys(controls: number, passed: string[], env: NodeJS.ProcessEnv = process.env): { sync_standbys: number | string; chosen: boolean; reason: string } {
  const given = passed.findIndex((a) => a === '--sync-standbys' || a.startsWith('--sync-standbys='));
  if (given >= 0) {
    const arg = passed[given]!;
    return { sync_standbys: arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : String(passed[given + 1]), chosen: false, reason: 'given with --sync-standbys' };
  }
  if (env.AUCTOR_SYNC_STANDBYS !== undefined) return { sync_standbys: env.AUCTOR_SYNC_STANDBYS, chosen: false, reason: 'given with AUCTOR_SYNC_STANDBYS' };
  const n = Math.max(0, Math.min(1, controls - 2));
  const reason = n === 0
    ? `${controls} control nodes: after a failover the new active has no standby left, so writes are acknowledged once on its disk and shipped asynchronously (a lost disk may lose the last writes); run 3 control nodes for a synchronous standby`
    : `${controls} control nodes: each write is on one standby's disk before it is acknowledged, and a failover still leaves the new active ${controls - 2} standby(s) to acknowledge with`;
  return { sync_standbys: n, chosen: true, reason };
}

/** `up` reads its nodes' lines (it waits for their `auctor.started`), whatever AUCTOR_LOG_FORMAT says. */
const JSON_LOGS = ['--log-format', 'json'];

/**
 * A control node of a group that stopped leading exits EXIT_STEPPED_DOWN: `up` starts it again
 * (it rejoins as a standby) unless `up` is stopping; the Child stands for every run.
 */
function startSupervised(name: string, args: string[], stopping: () => boolean): Child {
  let current = startChild(name, args);
  const child: Child = {
    name,
    get process() {
      return current.process;
    },
    started: current.started,
    exited: (async () => {
      for (;;) {
        const code = await current.exited;
        if (code !== EXIT_STEPPED_DOWN || stopping()) return code;
        process.stderr.write(`auctor up: ${name} stopped leading; starting it again as a standby\n`);
        current = startChild(name, args);
      }
    })(),
  };
  return child;
}

/** Starts `auctor start ...args` in its own process group (a terminal's Ctrl-C reaches only `up`). */
function startChild(name: string, args: string[]): Child {
  const child = spawn(process.execPath, [...NODE_FLAGS, bin, 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let onStarted!: (line: Record<string, unknown>) => void;
  const started = new Promise<Record<string, unknown>>((resolve) => (onStarted = resolve));
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`${name} | ${error.message}\n`);
      resolve(1);
    });
    child.once('exit', (code) => resolve(code));
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    process.stdout.write(`${name} | ${line}\n`);
    if (line.includes('"auctor.started"')) {
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed.msg === 'auctor.started') onStarted(parsed);
      } catch {
        // not a log line
      }
    }
  });
  createInterface({ input: child.stderr! }).on('line', (line) => process.stderr.write(`${name} | ${line}\n`));
  return { name, process: child, started, exited };
}

async function up(flags: UpFlags, passed: string[]): Promise<number> {
  const data = resolve(flags.data);
  const children: Child[] = [];
  let etcd: LocalEtcd | undefined;
  let stopping = false;
  const stopAll = (signal: NodeJS.Signals) => {
    for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill(signal);
  };
  const onSignal = () => {
    // a second signal: the operator wants out now
    stopAll(stopping ? 'SIGKILL' : 'SIGINT');
    stopping = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const exitedEarly = (child: Child) => child.exited.then((code) => Promise.reject(new Error(`${child.name} exited ${code} before it was up`)));
  try {
    // the passed flags first: the ones `up` sets for each node win
    const group = flags.controls > 1;
    if (group) {
      etcd = await startLocalEtcd(join(data, 'etcd'));
      process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: 'up.etcd-started', node: 'up', etcd: etcd.endpoint, pid: etcd.process.pid, data: join(data, 'etcd') })}\n`);
    }
    const nth = (base: HostPort, i: number) => ({ host: base.host, port: base.port === 0 ? 0 : base.port + i });
    const routerOf = (i: number) => (flags.router === 'off' || i === 0 ? flags.router : address(nth(hostPort('router')(flags.router), i)));
    const syncStandbys = group ? chooseSyncStandbys(flags.controls, passed) : undefined;
    if (syncStandbys) process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: 'up.sync-standbys', node: 'up', ...syncStandbys })}\n`);
    const controls: Array<Record<string, unknown>> = [];
    for (let i = 0; i < flags.controls && !stopping; i++) {
      const name = group ? `control-${i + 1}` : 'control';
      const seeds = controls.length > 0 ? ['--join', controls.map((c) => String(c.listen)).join(',')] : [];
      const args = [
        ...passed, '--name', name, '--roles', 'control', '--data', join(data, name),
        '--api', address(nth(flags.api, i)), '--router', routerOf(i), '--listen', address(nth(flags.listen, i)),
        ...seeds, ...(group ? ['--etcd', etcd!.endpoint] : []), ...(syncStandbys?.chosen ? ['--sync-standbys', String(syncStandbys.sync_standbys)] : []), ...JSON_LOGS,
      ];
      const control = group ? startSupervised(name, args, () => stopping) : startChild(name, args);
      children.push(control);
      controls.push(await Promise.race([control.started, exitedEarly(control)]));
    }
    // cells join the addresses the control nodes advertise (the bound ports when --listen says 0)
    const join_ = controls.map((c) => String(c.listen)).join(',');
    for (let i = 1; i <= flags.cells && !stopping; i++) {
      const port = flags.listen.port === 0 ? 0 : flags.listen.port + flags.controls - 1 + i;
      children.push(startChild(`cell-${i}`, [
        ...passed, '--name', `cell-${i}`, '--roles', 'cell', '--data', join(data, `cell-${i}`), '--listen', address({ host: flags.listen.host, port }),
        '--join', join_, '--zone', flags.zone ?? ZONES[(i - 1) % ZONES.length]!, ...JSON_LOGS,
      ]));
    }
    const cells = await Promise.all(children.slice(flags.controls).map((c) => Promise.race([c.started, exitedEarly(c)])));
    if (!stopping) {
      const nodes = [...controls, ...cells].map((l) => ({ node: l.node, listen: l.listen, roles: l.roles, ...(l.control_group ? { control_group: l.control_group } : {}) }));
      // with a group, `api` lists every control node's gateway: the CLI's --api takes the list and follows the active
      const api = controls.map((c) => String(c.api)).join(',');
      process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: 'auctor.started', node: 'up', api, router: controls[0]!.router, listen: controls[0]!.listen, ...(etcd ? { etcd: etcd.endpoint } : {}), nodes })}\n`);
    }
  } catch (error) {
    if (!stopping) {
      process.stderr.write(`auctor up: ${(error as Error).message}; stopping the others\n`);
      stopping = true;
      stopAll('SIGINT');
      await Promise.all(children.map((c) => c.exited));
      await etcd?.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      return 1;
    }
  }
  // runs until every child has exited: after a signal, or each on its own
  const codes = await Promise.all(children.map(async (c) => {
    const code = await c.exited;
    if (!stopping) process.stderr.write(`auctor up: ${c.name} exited ${code}\n`);
    return code;
  }));
  // after every node: no control node is left to miss its lease
  await etcd?.stop();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return stopping ? 0 : codes.some((c) => c !== 0) ? 1 : 0;
}
