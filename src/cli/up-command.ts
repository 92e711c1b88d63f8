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
import { count, flag, hostPort, type HostPort } from './flags.js';
import { NODE_FLAGS } from './node-flags.js';

const bin = fileURLToPath(new URL('../../../bin/auctor.js', import.meta.url));
const ZONES = ['z1', 'z2', 'z3'];

interface UpFlags {
  cells: number;
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
    .addOption(flag('data', 'dir', 'parent of the nodes\' data dirs').default('./.auctor'))
    .addOption(flag('api', 'host:port', "the control node's REST gateway").default({ host: '127.0.0.1', port: 8888 }, '127.0.0.1:8888').argParser(hostPort('api')))
    .addOption(flag('router', 'host:port|off', "the control node's HTTP router").default('127.0.0.1:8080'))
    .addOption(flag('listen', 'host:port', "the control node's remoting address; cells take the next ports (0: any free port)").default({ host: '127.0.0.1', port: 7777 }, '127.0.0.1:7777').argParser(hostPort('listen')))
    .addOption(flag('zone', 'zone', 'every cell\'s zone (default: z1..z3 in turn)'))
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (flags: UpFlags, command: Command) => {
      process.exitCode = await up(flags, command.args);
    });
}

/** `up` reads its nodes' lines (it waits for their `auctor.started`), whatever AUCTOR_LOG_FORMAT says. */
const JSON_LOGS = ['--log-format', 'json'];

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
    const control = startChild('control', [
      ...passed, '--name', 'control', '--roles', 'control', '--data', join(data, 'control'),
      '--api', address(flags.api), '--router', flags.router, '--listen', address(flags.listen), ...JSON_LOGS,
    ]);
    children.push(control);
    const controlUp = await Promise.race([control.started, exitedEarly(control)]);
    // cells join the address the control node advertises (the bound port when --listen says 0)
    const join_ = String(controlUp.listen);
    for (let i = 1; i <= flags.cells && !stopping; i++) {
      const port = flags.listen.port === 0 ? 0 : flags.listen.port + i;
      children.push(startChild(`cell-${i}`, [
        ...passed, '--name', `cell-${i}`, '--roles', 'cell', '--data', join(data, `cell-${i}`), '--listen', address({ host: flags.listen.host, port }),
        '--join', join_, '--zone', flags.zone ?? ZONES[(i - 1) % ZONES.length]!, ...JSON_LOGS,
      ]));
    }
    const cells = await Promise.all(children.slice(1).map((c) => Promise.race([c.started, exitedEarly(c)])));
    if (!stopping) {
      const nodes = [controlUp, ...cells].map((l) => ({ node: l.node, listen: l.listen, roles: l.roles }));
      process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: 'auctor.started', node: 'up', api: controlUp.api, router: controlUp.router, listen: controlUp.listen, nodes })}\n`);
    }
  } catch (error) {
    if (!stopping) {
      process.stderr.write(`auctor up: ${(error as Error).message}; stopping the others\n`);
      stopping = true;
      stopAll('SIGINT');
      await Promise.all(children.map((c) => c.exited));
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
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return stopping ? 0 : codes.some((c) => c !== 0) ? 1 : 0;
}
