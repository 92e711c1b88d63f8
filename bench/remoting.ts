/**
 * Messages/s one way from an actor system in this process to an actor in a child process
 * (`value`): `system.dispatch` with a remote ref, through RemoteNode and gRPC remoting, to one
 * receiving actor that counts typed `bench/msg` messages (~100 bytes of msgpack, a fresh object
 * per send) and acknowledges every 1 000 to an actor here (test/fixtures/bench-remote-actors.ts);
 * `value_4_actors` spreads the same messages over four receiving actors. Against `limit`: raw
 * grpc-js bidi streaming of the same payloads in batches of the same size between the same two
 * processes, with the same channel options, each payload length-prefixed and handed to the
 * receiver as its own view. `transport_value` is the layer without actors (envelopes handed to
 * `sendTo`, counted in the child's handler); `limit_unframed` streams bare bytes; `limit_wire_bytes` streams, framed, the bytes the layer sends for the message (its shaped body) instead of its plain msgpack. Runs
 * interleave; medians of RUNS. Also: CPU time per message on each side (robust to a busy
 * machine, where throughput is not), and `system.query` round trips to the remote actor
 * (`p50_ms`, `p99_ms`; the transport's own as `transport_p50_ms`/`transport_p99_ms`).
 *
 * Body codecs: the actor paths run once with the hand-written body codec the layer uses (`value`,
 * `value_hand`) and once with msgpackr alone (`value_msgpackr`), alternating within each run
 * (bench/support/body-codecs.ts); `ratio_msgpackr_hand` compares them. docs/051-remote-refs.md
 * "Body codecs" says what the msgpackr one does and why the hand one stays.
 *
 * Flow control: the transport drops rather than queue without bound, so each sender keeps at
 * most WINDOW messages unacknowledged and yields to the event loop every CHUNK, as a busy actor
 * system does; the raw streams wait for gRPC's 'drain'. Nothing is dropped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client, credentials, Metadata, Server, ServerCredentials, type ServerDuplexStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { pack } from 'msgpackr';
import { startRemoting } from '../src/runtime/remoting/grpc-remoting.js';
import { bidiBytesMethod, channelOptions, DEFAULT_LIMITS, passThrough, serverOptions, type RemotingLog } from '../src/runtime/remoting/options.js';
import type { NodeIdentity, Remoting } from '../src/runtime/remoting/types.js';
import { Acks as ActorAcks, actorQueries, benchMsg, sendThroughActors, sinkRef, spawnSink, startNode, type BenchMsg } from '../test/fixtures/bench-remote-actors.js';
import type { Ref } from '../src/runtime/kernel/protocol.js';
import { writeFast } from '../src/runtime/remoting/remote-msgpack-writer.js';
import { bodyBytes, childSwitch, CODECS, DEFAULT_CODEC, perCodec, switchCodec } from './support/body-codecs.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
const RUNS = 5;
const WINDOW = DEFAULT_LIMITS.maxQueueEnvelopes;
const ACK_EVERY = 1000;
const CHUNK = 1000;
const BATCH = DEFAULT_LIMITS.batchEnvelopes;
const QUERIES = 5000;
/** the multi-actor variant: the same messages spread round robin over this many receiving actors */
const SINKS = 4;
const SECRET = 'bench-secret';

// what an actor message looks like on the wire: a small discriminated union, msgpack-encoded
const BODY = pack({ type: 'lrps/bench', process_guid: '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', index: 7, payload: 'x'.repeat(16) });
const quiet: RemotingLog = { debug() {}, info() {}, warn() {}, error() {} };
const log = (message: string) => process.stderr.write(`${message}\n`);

type RawMode = 'framed' | 'bytes';
const rawMethod = (mode: RawMode) => bidiBytesMethod(`/auctor.bench.Raw/${mode}`);

function countFrame(count: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeDoubleLE(count);
  return b;
}

/** A raw receiver: counts messages, acknowledges every 10 ACK_EVERY and at the end. */
function rawReceiver(mode: RawMode, sink: (message: Uint8Array) => void) {
  return (call: ServerDuplexStream<Buffer, Buffer>) => {
    let count = 0;
    call.on('error', () => {});
    call.on('data', (frame: Buffer) => {
      const before = count;
      if (mode === 'bytes') count += frame.length / BODY.length;
      else {
        const memory = frame.buffer;
        for (let pos = 0; pos < frame.length; ) {
          const length = frame[pos++]!; // every payload here is under 128 bytes: a one-byte varint
          sink(new Uint8Array(memory, frame.byteOffset + pos, length));
          pos += length;
          count++;
        }
      }
      if (Math.floor(count / (ACK_EVERY * 10)) !== Math.floor(before / (ACK_EVERY * 10))) call.write(countFrame(count));
    });
    call.on('end', () => {
      call.write(countFrame(count));
      call.end();
    });
  };
}

/** The receiving process: a Remoting that counts and answers, raw servers that count; `cpu` on stdin reports CPU time. */
async function child(parent: NodeIdentity): Promise<void> {
  const node = await startNode('bench-receiver', SECRET);
  node.directory.set(parent);
  spawnSink(node.system, 'sink');
  for (let i = 0; i < SINKS; i++) spawnSink(node.system, `sink-${i}`);
  const remoting = await startRemoting({ self: { name: 'bench-receiver', incarnation: Date.now() }, listen: { host: '127.0.0.1', port: 0 }, secret: SECRET, log: quiet });
  let received = 0;
  let bytes = 0;
  remoting.onEnvelope((e, from) => {
    if (e.type === 'lrps/bench') {
      bytes += e.body.length;
      if (++received % ACK_EVERY === 0) remoting.sendTo(from.address, { to: e.from ?? '/', type: 'bench/ack', correlation: received, body: e.body.subarray(0, 0) });
    } else if (e.type === 'bench/query') {
      remoting.sendTo(from.address, { to: e.from ?? '/', type: 'bench/answer', correlation: e.correlation, body: e.body });
    }
  });
  const sink = (m: Uint8Array) => (bytes += m.length);
  const server = new Server(serverOptions(DEFAULT_LIMITS));
  server.addService({ framed: rawMethod('framed'), bytes: rawMethod('bytes') }, {
    framed: rawReceiver('framed', sink),
    bytes: rawReceiver('bytes', sink),
  } as UntypedServiceImplementation);
  const rawPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  createInterface({ input: process.stdin }).on('line', (line) => {
    childSwitch(line);
    const { user, system } = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpu: user + system, bytes })}\n`);
  });
  process.stdin.once('end', () => void Promise.all([node.close(), remoting.close(), new Promise<void>((r) => server.tryShutdown(() => r()))]));
  process.stdout.write(`${JSON.stringify({ actors: node.remoting.self, remoting: remoting.self.address, raw: `127.0.0.1:${rawPort}` })}\n`);
}

interface Acks {
  count: number;
  waiter?: () => void;
}

/** Sends `total` envelopes through the layer; resolves once the child has them all. */
async function throughLayer(remoting: Remoting, address: string, acks: Acks, total: number): Promise<void> {
  const start = acks.count;
  let sent = 0;
  while (sent < total) {
    const burst = Math.min(total - sent, CHUNK, WINDOW - (sent - (acks.count - start)));
    for (let i = 0; i < burst; i++) {
      if (!remoting.sendTo(address, { to: '/bench/sink', from: '/bench/source', type: 'lrps/bench', body: BODY })) throw new Error('dropped');
    }
    sent += burst;
    if (sent - (acks.count - start) >= WINDOW) await new Promise<void>((resolve) => (acks.waiter = resolve));
    else await new Promise((resolve) => setImmediate(resolve));
  }
  while (acks.count - start < total) await new Promise<void>((resolve) => (acks.waiter = resolve));
}

/** The same payloads in frames of BATCH over a bare grpc-js bidi stream, waiting for 'drain'. */
async function rawGrpc(address: string, mode: RawMode, total: number, body: Uint8Array = BODY): Promise<void> {
  const client = new Client(address, credentials.createInsecure(), channelOptions(DEFAULT_LIMITS));
  try {
    const call = client.makeBidiStreamRequest<Buffer, Buffer>(rawMethod(mode).path, passThrough, passThrough, new Metadata());
    let acked = 0;
    let waiter: (() => void) | undefined;
    call.on('data', (b: Buffer) => {
      acked = b.readDoubleLE(0);
      waiter?.();
    });
    const ended = new Promise<void>((resolve, reject) => {
      call.on('error', reject);
      call.on('status', () => resolve());
    });
    const frameBytes = BATCH * (body.length + (mode === 'framed' ? 1 : 0));
    for (let sent = 0; sent < total; sent += BATCH) {
      const frame = Buffer.allocUnsafe(frameBytes);
      for (let i = 0, pos = 0; i < BATCH; i++) {
        if (mode === 'framed') frame[pos++] = body.length;
        frame.set(body, pos);
        pos += body.length;
      }
      if (!call.write(frame)) await new Promise((resolve) => call.once('drain', resolve));
    }
    while (acked < total) await new Promise<void>((resolve) => (waiter = resolve));
    call.end();
    await ended;
  } finally {
    client.close();
  }
}

/** Sequential queries through the layer: ms from `sendTo` to the answer's delivery. */
async function queries(remoting: Remoting, address: string, answers: Map<number, () => void>, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      answers.set(i, resolve);
      remoting.sendTo(address, { to: '/bench/replier', from: '/bench/asker', correlation: i, type: 'bench/query', body: BODY });
    });
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b);
}

interface Sample {
  rate: number;
  /** CPU ns per message in this process and in the child */
  sender: number;
  receiver: number;
}

/** The child's CPU time so far, in µs: ask on its stdin, read its answer line. */
function childCpu(receiver: ChildProcess, lines: Interface): Promise<number> {
  const answer = new Promise<number>((resolve) => lines.once('line', (l) => resolve((JSON.parse(l) as { cpu: number }).cpu)));
  receiver.stdin!.write('cpu\n');
  return answer;
}

/** Runs `run` (which moves `total` messages) and measures its rate and the CPU of both processes. */
async function measure(receiver: ChildProcess, lines: Interface, total: number, run: () => Promise<void>): Promise<Sample> {
  const child0 = await childCpu(receiver, lines);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const child1 = await childCpu(receiver, lines);
  const nsPerMessage = (us: number) => Math.round((us * 1000) / total);
  return { rate: total / (elapsed / 1000), sender: nsPerMessage(cpu.user + cpu.system), receiver: nsPerMessage(child1 - child0) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
interface Summary {
  rate: number;
  sender: number;
  receiver: number;
}
const summary = (samples: Sample[]): Summary => ({
  rate: Math.round(median(samples.map((s) => s.rate))),
  sender: median(samples.map((s) => s.sender)),
  receiver: median(samples.map((s) => s.receiver)),
});

export async function main(): Promise<void> {
  const node = await startNode('bench-sender', SECRET);
  const receiver = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'child', JSON.stringify(node.remoting.self)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: receiver.stdout! });
  const remoting = await startRemoting({ self: { name: 'bench-sender-transport', incarnation: Date.now() }, listen: { host: '127.0.0.1', port: 0 }, secret: SECRET, log: quiet });
  try {
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      receiver.once('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
    });
    const addresses = JSON.parse(first) as { actors: NodeIdentity; remoting: string; raw: string };
    const acks: Acks = { count: 0 };
    const answers = new Map<number, () => void>();
    remoting.onEnvelope((e) => {
      if (e.type === 'bench/ack') {
        acks.count = e.correlation!;
        acks.waiter?.();
      } else if (e.type === 'bench/answer') {
        answers.get(e.correlation!)?.();
        answers.delete(e.correlation!);
      }
    });
    // the actor path: system.dispatch with remote refs, acknowledged by the sinks to a local actor
    node.directory.set(addresses.actors);
    const actorAcks = new ActorAcks();
    const ackTo = actorAcks.spawn(node.system);
    const one = [sinkRef(addresses.actors, 'sink')];
    const many = Array.from({ length: SINKS }, (_, i) => sinkRef(addresses.actors, `sink-${i}`));
    for (const sink of [...one, ...many]) node.system.dispatch(sink, { type: 'bench/start', ackTo });
    await actorQueries(node.system, one[0]!, 10); // both streams up, the queues empty
    const actors = (sinks: Ref<BenchMsg>[], n: number) => () => sendThroughActors(node.system, sinks, () => actorAcks.total(), () => actorAcks.next(), n, WINDOW, CHUNK);
    const layer = (n: number) => () => throughLayer(remoting, addresses.remoting, acks, n);
    const raw = (mode: RawMode, n: number, body?: Uint8Array) => () => rawGrpc(addresses.raw, mode, n, body);

    // warm-up: JIT and heap settle before the first measured run (with 300k per path the first
    // actor run still came out 5-10 % below the others: its code was still being optimised)
    for (let i = 0; i < 2; i++) {
      for (const codec of CODECS) {
        await switchCodec(receiver, lines, codec);
        await actors(one, 1_000_000)();
        await actors(many, 1_000_000)();
      }
      await layer(300_000)();
      await raw('framed', 300_000)();
      await raw('bytes', 300_000)();
    }
    await actorQueries(node.system, one[0]!, 500);
    // the bench message as the layer puts it on the wire now its shape is compiled (a shaped body:
    // its values alone, its type and keys carried by the batch), for a raw stream of those bytes
    const wireBody = Uint8Array.from(writeFast(benchMsg(MESSAGES / 2), () => false, true) as Uint8Array);
    const values = perCodec<Sample[]>(() => []);
    const spread = perCodec<Sample[]>(() => []);
    const transport: Sample[] = [];
    const limits: Sample[] = [];
    const unframed: Sample[] = [];
    const wireLimits: Sample[] = [];
    const show = (s: Sample) => `${Math.round(s.rate)} msgs/s (cpu ${s.sender}+${s.receiver} ns/msg)`;
    for (let run = 1; run <= RUNS; run++) {
      // the codecs alternate, and which goes first alternates too: drift on a busy machine hits both
      for (const codec of run % 2 === 1 ? CODECS : [...CODECS].reverse()) {
        await switchCodec(receiver, lines, codec);
        values[codec].push(await measure(receiver, lines, MESSAGES, actors(one, MESSAGES)));
        spread[codec].push(await measure(receiver, lines, MESSAGES, actors(many, MESSAGES)));
        log(`run ${run}/${RUNS} ${codec}: actor to actor ${show(values[codec].at(-1)!)}, to ${SINKS} actors ${show(spread[codec].at(-1)!)}`);
      }
      await switchCodec(receiver, lines, DEFAULT_CODEC);
      transport.push(await measure(receiver, lines, MESSAGES, layer(MESSAGES)));
      limits.push(await measure(receiver, lines, MESSAGES, raw('framed', MESSAGES)));
      unframed.push(await measure(receiver, lines, MESSAGES, raw('bytes', MESSAGES)));
      wireLimits.push(await measure(receiver, lines, MESSAGES, raw('framed', MESSAGES, wireBody)));
      log(`run ${run}/${RUNS}: transport ${show(transport.at(-1)!)}, raw ${show(limits.at(-1)!)}, raw unframed ${show(unframed.at(-1)!)}, raw of the hand codec's body bytes ${show(wireLimits.at(-1)!)}`);
    }
    const rtt = await actorQueries(node.system, one[0]!, QUERIES);
    const transportRtt = await queries(remoting, addresses.remoting, answers, QUERIES);
    const [transportValue, limit, bytes, wireLimit] = [transport, limits, unframed, wireLimits].map(summary) as [Summary, Summary, Summary, Summary];
    const value = perCodec((codec) => summary(values[codec]));
    const spreadValue = perCodec((codec) => summary(spread[codec]));
    const ms = (x: number) => Number(x.toFixed(3));
    const ratio = (x: number) => Number((x / limit.rate).toFixed(3));
    const ratioOf = (x: number, y: number) => Number((x / y).toFixed(3));
    const result = {
      name: 'remoting',
      value: value[DEFAULT_CODEC].rate,
      unit: 'msgs/s',
      codec: DEFAULT_CODEC,
      limit: limit.rate,
      ratio: ratio(value[DEFAULT_CODEC].rate),
      // the two body codecs, alternating in this run: actor to actor, and their ratio
      value_hand: value.hand.rate,
      value_msgpackr: value.msgpackr.rate,
      ratio_msgpackr_hand: ratioOf(value.msgpackr.rate, value.hand.rate),
      p50_ms: ms(percentile(rtt, 50)),
      p99_ms: ms(percentile(rtt, 99)),
      [`value_${SINKS}_actors`]: spreadValue[DEFAULT_CODEC].rate,
      [`ratio_${SINKS}_actors`]: ratio(spreadValue[DEFAULT_CODEC].rate),
      [`value_${SINKS}_actors_hand`]: spreadValue.hand.rate,
      [`value_${SINKS}_actors_msgpackr`]: spreadValue.msgpackr.rate,
      [`ratio_${SINKS}_actors_msgpackr_hand`]: ratioOf(spreadValue.msgpackr.rate, spreadValue.hand.rate),
      transport_value: transportValue.rate,
      transport_ratio: ratio(transportValue.rate),
      transport_p50_ms: ms(percentile(transportRtt, 50)),
      transport_p99_ms: ms(percentile(transportRtt, 99)),
      limit_unframed: bytes.rate,
      // raw streaming of the bytes the hand codec sends for the message rather than its plain msgpack
      limit_wire_bytes: wireLimit.rate,
      ratio_wire_bytes: Number((value.hand.rate / wireLimit.rate).toFixed(3)),
      cpu_ns_per_msg: {
        actors_hand: [value.hand.sender, value.hand.receiver],
        actors_msgpackr: [value.msgpackr.sender, value.msgpackr.receiver],
        [`actors_${SINKS}_hand`]: [spreadValue.hand.sender, spreadValue.hand.receiver],
        [`actors_${SINKS}_msgpackr`]: [spreadValue.msgpackr.sender, spreadValue.msgpackr.receiver],
        transport: [transportValue.sender, transportValue.receiver],
        raw: [limit.sender, limit.receiver],
        raw_unframed: [bytes.sender, bytes.receiver],
        raw_wire_bytes: [wireLimit.sender, wireLimit.receiver],
      },
      body_bytes: BODY.length,
      // the actor message as each codec writes it (the hand codec: a shaped body, type and keys in the batch)
      actor_body_bytes: bodyBytes(benchMsg(MESSAGES / 2)),
      batch: BATCH,
      messages_per_run: MESSAGES,
      runs: RUNS,
      dead_letters: node.remote.stats().deadLetters,
      dropped: remoting.stats().dropped + node.remoting.stats().dropped,
      samples: { value_hand: values.hand.map((s) => Math.round(s.rate)), value_msgpackr: values.msgpackr.map((s) => Math.round(s.rate)), limit: limits.map((s) => Math.round(s.rate)), transport_value: transport.map((s) => Math.round(s.rate)) },
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await remoting.close();
    await node.close();
    receiver.stdin!.end();
  }
}

if (process.argv[2] === 'child' && process.argv[1] === fileURLToPath(import.meta.url)) await child(JSON.parse(process.argv[3]!) as NodeIdentity);
