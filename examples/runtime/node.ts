/**
 * One node of the example, in its own process: an actor system on LMDB in `--data`, gRPC
 * remoting on `--listen` (the cluster secret from AUCTOR_CLUSTER_SECRET), membership joining
 * through `--join`, and the actors this node hosts (`--ledger`, `--workers`).
 *
 * It prints one JSON line `{"event":"node.started",...}` once it is part of the cluster, then
 * answers commands read from stdin, one JSON object a line (`{"id":1,"cmd":"deposit",...}`), with
 * `{"id":1,"ok":true,"result":...}` or `{"id":1,"ok":false,"error":"..."}`. Its logs go to stderr.
 * SIGTERM or SIGINT, or the end of stdin (its launcher is gone), stops it in reverse order and exits 0.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createLogger } from '../../src/base/logger.js';
import { remoteRef, type Ref } from '../../src/runtime/kernel/protocol.js';
import { ActorSystem } from '../../src/runtime/kernel/system.js';
import { LmdbPersistenceEngine } from '../../src/runtime/persistence/lmdb-engine.js';
import { startRemoting } from '../../src/runtime/remoting/grpc-remoting.js';
import { ClusterActorMsg } from '../../src/runtime/cluster/cluster-actor.js';
import { ClusterNode } from '../../src/runtime/cluster/cluster-node.js';
import { LEDGER_PATH, LedgerMsg, spawnLedger, type LedgerState } from './ledger.js';
import { spawnWorkers, WorkerMsg, WORKERS_PATH } from './workers.js';

const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    listen: { type: 'string', default: '127.0.0.1:0' },
    join: { type: 'string', default: '' },
    data: { type: 'string' },
    ledger: { type: 'boolean', default: false },
    workers: { type: 'boolean', default: false },
  },
});
if (!values.name || !values.data) throw new Error('usage: node.js --name NAME --data DIR [--listen HOST:PORT] [--join HOST:PORT,...] [--ledger] [--workers]');
const name = values.name;
const [host, port] = splitAddress(values.listen);
const ASK_MS = 5_000;

const log = createLogger({ destination: process.stderr, base: { node: name } });
mkdirSync(values.data, { recursive: true });
const engine = LmdbPersistenceEngine.open(join(values.data, 'lmdb'));
const system = ActorSystem.start({ name, engine, logger: log });
const secret = process.env.AUCTOR_CLUSTER_SECRET;
const remoting = await startRemoting({
  // a restarted process is a new member: its incarnation is its start time
  self: { name, incarnation: Date.now() },
  listen: { host, port },
  ...(secret ? { secret } : {}),
  log,
});
const cluster = new ClusterNode({ system, remoting, roles: [], seeds: values.join ? values.join.split(',') : [], log }).start();
if (values.ledger) spawnLedger(system);
if (values.workers) spawnWorkers(system);
await cluster.joined(10_000);

const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
// the ledger answers once it has replayed its journal: what survived the last run
const ledger = values.ledger ? await system.query<LedgerMsg, LedgerState>(remoteRef(name, LEDGER_PATH), LedgerMsg.balance, ASK_MS) : undefined;
print({ event: 'node.started', name, address: remoting.self.address, incarnation: remoting.self.incarnation, pid: process.pid, ...(ledger ? { ledger } : {}) });

type Command =
  | { cmd: 'deposit'; node: string; amount: number }
  | { cmd: 'balance'; node: string }
  | { cmd: 'crash'; worker: string }
  | { cmd: 'tree'; node: string }
  | { cmd: 'members' };

/** Every command goes through the kernel: a ref to an actor on `node` (this one or another) and an ask. */
async function run(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'deposit':
      return system.query<LedgerMsg, LedgerState>(remoteRef(command.node, LEDGER_PATH), LedgerMsg.deposit(command.amount), ASK_MS);
    case 'balance':
      return system.query<LedgerMsg, LedgerState>(remoteRef(command.node, LEDGER_PATH), LedgerMsg.balance, ASK_MS);
    case 'crash':
      // fails at once with ActorFailedError: the kernel answers the ask of a message that crashed its actor
      return system.query<WorkerMsg, never>(remoteRef(name, `${WORKERS_PATH}/${command.worker}`), WorkerMsg.crash, ASK_MS);
    case 'tree': {
      // the /cluster actor of that node answers with its supervision tree (the kernel's introspection)
      const outcome = await system.query(remoteRef<ClusterActorMsg>(command.node, '/cluster'), ClusterActorMsg.tree(undefined), ASK_MS);
      if (!outcome.ok) throw new Error(`tree of ${command.node}: ${outcome.error.type}: ${outcome.error.message}`);
      return outcome.value;
    }
    case 'members':
      return cluster.membership.members().map((m) => ({ name: m.name, incarnation: m.incarnation, status: m.status, address: m.address }));
  }
}

const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  let request: { id?: unknown } & Command;
  try {
    request = JSON.parse(line);
  } catch {
    return print({ ok: false, error: `not JSON: ${line.slice(0, 80)}` });
  }
  run(request).then(
    (result) => print({ id: request.id, ok: true, result }),
    (error: unknown) => print({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});

let stopping = false;
async function stop(): Promise<never> {
  if (stopping) process.exit(1);
  stopping = true;
  commands.close();
  await cluster.stop();
  await system.shutdown();
  await remoting.close();
  await engine.close();
  log.info({ name }, 'node.stopped');
  process.exit(0);
}
// SIGINT too: Ctrl-C at a terminal reaches the launcher's whole process group
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stop());
commands.once('close', () => void stop());

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
