/**
 * The raw limit of synchronous journal shipping on this machine (issue 16's own measurement,
 * "two processes shipping 512-byte LMDB entries over grpc-js"): bare lmdb-js puts with the
 * engine's env options, durable by each put's `flushed`, and the same bytes sent over a bare
 * grpc-js bidi stream to another process that puts them the same way and answers each once
 * flushed. `lone`: the local put alone; `sync`: the local put and the standby's answer. No
 * replication log, no terms, no remoting layer: what two stores on this disk and two processes
 * on these cores allow at all. Part of `npm run bench -- control-failover`.
 *
 * Run as a script (`node raw-shipping.js standby DIR`) it is the standby: prints `ready PORT`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, credentials, Metadata, Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import { open, type Database } from 'lmdb';
import { LMDB_DB_OPTIONS, LMDB_ENV_OPTIONS } from '../../src/runtime/persistence/lmdb-engine.js';
import { bidiBytesMethod, channelOptions, DEFAULT_LIMITS, passThrough, serverOptions } from '../../src/runtime/remoting/options.js';

export type RawShippingMode = 'lone' | 'sync';

const METHOD = bidiBytesMethod('/auctor.bench.RawShip/ship');
const VALUE = Buffer.alloc(512, 'x');

type Flushable = Promise<boolean> & { flushed?: PromiseLike<unknown> };

/** Puts `value` under `id`, resolving once durable (the engine's wait). */
async function durablePut(db: Database<Buffer, number>, id: number, value: Buffer): Promise<void> {
  const write = db.put(id, value) as Flushable;
  await write;
  await write.flushed;
}

function openStore(dir: string): { root: ReturnType<typeof open>; db: Database<Buffer, number> } {
  const root = open({ path: dir, ...LMDB_ENV_OPTIONS });
  return { root, db: root.openDB<Buffer, number>('raw', { ...LMDB_DB_OPTIONS, encoding: 'binary' }) };
}

/** The standby process: puts what arrives, answers each id once it is flushed. */
async function standby(dir: string): Promise<void> {
  const { db } = openStore(dir);
  const server = new Server(serverOptions(DEFAULT_LIMITS));
  server.addService({ ship: METHOD }, {
    ship: (call: ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', (frame: Buffer) => {
        const id = frame.readUInt32LE(0);
        void durablePut(db, id, frame.subarray(4)).then(() => {
          const ack = Buffer.allocUnsafe(4);
          ack.writeUInt32LE(id);
          call.write(ack);
        });
      });
      call.on('end', () => call.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  process.stdout.write(`ready ${port}\n`);
  process.on('SIGTERM', () => process.exit(0));
}

/** Writes/s of `writers` writers, each awaiting its write before the next, `total` in all. */
export async function measureRawShipping(mode: RawShippingMode, writers: number, total: number): Promise<number> {
  const dirs = [mkdtempSync(join(tmpdir(), 'auctor-bench-raw-ship-')), mkdtempSync(join(tmpdir(), 'auctor-bench-raw-ship-'))] as const;
  const { root, db } = openStore(dirs[0]);
  const child = mode === 'sync' ? spawn(process.execPath, [fileURLToPath(import.meta.url), 'standby', dirs[1]], { stdio: ['ignore', 'pipe', 'inherit'] }) : undefined;
  let client: Client | undefined;
  try {
    let ship: ((id: number) => Promise<void>) | undefined;
    if (child) {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          const match = /ready (\d+)/.exec(chunk.toString());
          if (match) resolve(Number(match[1]));
        });
        child.once('exit', (code) => reject(new Error(`raw standby exited (${code})`)));
      });
      client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), channelOptions(DEFAULT_LIMITS));
      const call = client.makeBidiStreamRequest<Buffer, Buffer>(METHOD.path, passThrough, passThrough, new Metadata());
      const waiting = new Map<number, () => void>();
      call.on('data', (ack: Buffer) => {
        const id = ack.readUInt32LE(0);
        waiting.get(id)?.();
        waiting.delete(id);
      });
      call.on('error', () => {});
      ship = (id) => {
        const frame = Buffer.allocUnsafe(4 + VALUE.length);
        frame.writeUInt32LE(id);
        VALUE.copy(frame, 4);
        const acked = new Promise<void>((resolve) => waiting.set(id, resolve));
        call.write(frame);
        return acked;
      };
    }
    let next = 0;
    const write = async () => {
      const id = ++next;
      await Promise.all([durablePut(db, id, VALUE), ship?.(id)]);
    };
    const perWriter = Math.ceil(total / writers);
    for (let w = 0; w < writers; w++) await write(); // warm up
    const t0 = performance.now();
    await Promise.all(Array.from({ length: writers }, async () => {
      for (let n = 0; n < perWriter; n++) await write();
    }));
    return (perWriter * writers) / ((performance.now() - t0) / 1000);
  } finally {
    client?.close();
    child?.kill('SIGTERM');
    if (child && child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    await root.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'standby') await standby(process.argv[3]!);
