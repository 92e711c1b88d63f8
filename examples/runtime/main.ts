/**
 * The runtime used alone: two node processes (node.ts) on the actor kernel, LMDB persistence,
 * gRPC remoting and cluster membership, with nothing of the scheduler. The launcher drives them
 * step by step, checks what each step must show, prints it in a few lines, and exits 0 when every
 * step held, 1 naming the step that did not. It stops its nodes and deletes its data either way.
 *
 *   npm run build && node dist/examples/runtime/main.js
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActorView, NodeView } from '../../src/runtime/kernel/introspection.js';
import { NodeProcess, type Started } from './node-process.js';
import { FLAKY_INTENSITY, FRAGILE_INTENSITY } from './workers.js';

interface LedgerState {
  balance: number;
  deposits: number;
}

const DEPOSITS = [10, 20, 12];
const dir = mkdtempSync(join(tmpdir(), 'auctor-runtime-example-'));
// every node proves this secret on every connection (docs/050-remoting.md "Handshake")
const env = { ...process.env, AUCTOR_CLUSTER_SECRET: randomBytes(16).toString('hex') };
const nodes = new Set<NodeProcess>();
const say = (line: string) => process.stdout.write(`${line}\n`);
/** a line under the step's title */
const show = (line: string) => say(`   ${line}`);

async function start(name: string, args: string[]): Promise<{ node: NodeProcess; started: Started }> {
  // known before it starts, so an interrupted start is stopped too
  const node = NodeProcess.spawn(name, ['--data', join(dir, name), ...args], env);
  nodes.add(node);
  return { node, started: await node.started };
}

let a: NodeProcess;
let b: NodeProcess;

const steps: Array<[string, () => Promise<void>]> = [
  ['two nodes join over gRPC', async () => {
    const first = await start('a', ['--ledger']);
    const second = await start('b', ['--workers', '--join', first.started.address]);
    [a, b] = [first.node, second.node];
    const members = await until(() => b.ask<Array<{ name: string; status: string }>>({ cmd: 'members' }), (ms) => ms.filter((m) => m.status === 'up').length === 2, 'b to see a and b up');
    show(`a (pid ${first.started.pid}, ${first.started.address}) and b (pid ${second.started.pid}, ${second.started.address}) joined with a cluster secret; b sees ${members.map((m) => `${m.name} ${m.status}`).sort().join(', ')}`);
  }],
  ['a persistent actor survives kill -9', async () => {
    let state: LedgerState = { balance: 0, deposits: 0 };
    for (const amount of DEPOSITS) state = await b.ask<LedgerState>({ cmd: 'deposit', node: 'a', amount });
    const sum = DEPOSITS.reduce((x, y) => x + y, 0);
    check(state.balance === sum && state.deposits === DEPOSITS.length, `a's ledger acknowledged ${JSON.stringify(state)}, not balance ${sum}`);
    show(`b deposited ${DEPOSITS.join(', ')} into a's /ledger; each was acknowledged once durable: balance ${state.balance}`);
    const address = (await a.ask<Array<{ name: string; address: string }>>({ cmd: 'members' })).find((m) => m.name === 'a')!.address;
    const killed = a.pid;
    const { signal } = await a.kill9();
    check(signal === 'SIGKILL', `a ended by ${signal}, not SIGKILL`);
    nodes.delete(a);
    // the same data dir and address; it joins through b, which takes its new incarnation for the old
    const restarted = await start('a', ['--ledger', '--listen', address, '--join', (await b.ask<Array<{ name: string; address: string }>>({ cmd: 'members' })).find((m) => m.name === 'b')!.address]);
    a = restarted.node;
    const recovered = restarted.started.ledger;
    check(recovered?.balance === sum && recovered.deposits === DEPOSITS.length, `a's ledger came back as ${JSON.stringify(recovered)}, not balance ${sum} after ${DEPOSITS.length} deposits`);
    show(`kill -9 of a (pid ${killed}); restarted on the same data dir (pid ${restarted.started.pid}): /ledger replayed ${recovered.deposits} deposits, balance ${recovered.balance}`);
    await until(() => b.ask<Array<{ name: string; incarnation: number; status: string }>>({ cmd: 'members' }), (ms) => ms.some((m) => m.name === 'a' && m.incarnation === restarted.started.incarnation && m.status === 'up'), "b to see a's new incarnation up");
  }],
  ['a query across nodes', async () => {
    const reply = await b.ask<LedgerState>({ cmd: 'balance', node: 'a' });
    check(reply.balance === DEPOSITS.reduce((x, y) => x + y, 0), `b got ${JSON.stringify(reply)}`);
    show(`b asked a's /ledger through a remote ref: reply ${JSON.stringify(reply)}`);
  }],
  ['supervision with restart intensity', async () => {
    const worker = async (path: string) => find(await b.ask<NodeView>({ cmd: 'tree', node: 'b' }), `/b/workers${path}`);
    for (let crash = 1; crash <= FLAKY_INTENSITY.maxRestarts; crash++) {
      await crashes(b, 'flaky');
      await until(() => worker('/flaky'), (w) => w?.restarts === crash && w.status === 'running', `flaky restarted ${crash} times`);
    }
    show(`b's /workers/flaky crashed ${FLAKY_INTENSITY.maxRestarts} times and was restarted each time (restarts ${FLAKY_INTENSITY.maxRestarts}: oneForOne, ${FLAKY_INTENSITY.maxRestarts} in ${FLAKY_INTENSITY.withinMs / 1000} s)`);
    await crashes(b, 'flaky');
    const parent = (await until(() => worker(''), (w) => w?.restarts === 1 && w.children.some((c) => c.name === 'flaky' && c.restarts === 0), '/workers to restart with a fresh flaky'))!;
    show(`its ${FLAKY_INTENSITY.maxRestarts + 1}th crash went past the intensity and escalated: /workers restarted (restarts ${parent.restarts}) with a fresh flaky (restarts 0)`);
    for (let crash = 1; crash <= FRAGILE_INTENSITY.maxRestarts + 1; crash++) await crashes(b, 'fragile');
    const fragile = (await until(() => worker('/fragile'), (w) => w?.status === 'quarantined', 'fragile to be quarantined'))!;
    show(`/workers/fragile (restartOrQuarantine, ${FRAGILE_INTENSITY.maxRestarts} in ${FRAGILE_INTENSITY.withinMs / 1000} s) was restarted ${fragile.restarts} times, then quarantined: ${fragile.last_failure?.message}`);
  }],
  ["both nodes' trees", async () => {
    for (const node of ['a', 'b']) {
      const tree = await b.ask<NodeView>({ cmd: 'tree', node });
      check(tree.actors.length > 0, `node ${node} answered an empty tree`);
      show(`tree of ${node} (asked of its /cluster actor by b):`);
      for (const line of render(tree.actors, '  ')) show(line);
    }
  }],
];

async function crashes(node: NodeProcess, worker: string): Promise<void> {
  const answer = await node.ask({ cmd: 'crash', worker }).then(() => 'an answer', (error: Error) => error.message);
  check(answer.includes('failed: '), `crashing ${worker}: ${answer}, not a failed ask`);
}

function render(actors: ActorView[], indent: string): string[] {
  return actors.flatMap((v) => {
    const notes = [v.kind, v.status, `restarts ${v.restarts}`];
    if (v.status === 'quarantined') notes.push(`"${v.last_failure?.message}"`);
    else if (v.summary !== null && v.kind !== 'cluster') notes.push(JSON.stringify(v.summary));
    return [`${indent}${v.path}  ${notes.join(', ')}`, ...render(v.children, `${indent}  `)];
  });
}

function find(tree: NodeView, path: string): ActorView | undefined {
  const walk = (views: ActorView[]): ActorView | undefined => {
    for (const v of views) {
      if (v.path === path) return v;
      const below = walk(v.children);
      if (below) return below;
    }
    return undefined;
  };
  return walk(tree.actors);
}

function check(holds: boolean, otherwise: string): asserts holds {
  if (!holds) throw new Error(otherwise);
}

/** Reads until `holds` (the state it waits for arrives a little after an answer), at most `timeoutMs`. */
async function until<T>(read: () => Promise<T>, holds: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (holds(value)) return value;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function stopAll(): Promise<void> {
  await Promise.all([...nodes].map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopping = true;
    void stopAll().then(() => process.exit(130));
  });
}

say('The Auctor runtime alone: two node processes, no scheduler');
let failedStep: string | undefined;
for (const [index, [name, run]] of steps.entries()) {
  if (stopping) break;
  say(`${index + 1}. ${name}`);
  try {
    await run();
  } catch (error) {
    if (stopping) break; // interrupted: the nodes were told to stop, not a step that failed
    failedStep = `step ${index + 1} (${name})`;
    show(`did not hold: ${error instanceof Error ? error.message : String(error)}`);
    for (const node of nodes) {
      process.stderr.write(`the last lines node ${node.name} logged:\n`);
      for (const line of node.log().slice(-5)) process.stderr.write(`  ${line}\n`);
    }
    break;
  }
}
await stopAll();
if (!stopping) {
  say(failedStep ? `FAILED at ${failedStep}` : `every step held (${steps.length} of ${steps.length}); nodes stopped, data deleted`);
  process.exitCode = failedStep ? 1 : 0;
}
