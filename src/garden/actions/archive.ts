/**
 * Tar and gzipped-tar payloads, told apart from other files by their bytes, never their name.
 * Extraction uses node-tar, which refuses entries that would land outside the target (absolute
 * paths, `..`, links pointing out) and, here, keeps the files owned by the node's user.
 */
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { constants, gunzipSync } from 'node:zlib';
import { Unpack } from 'tar';

export type PayloadKind = 'tar' | 'tgz' | 'file';

const BLOCK = 512;
/** Enough gzip to inflate the first tar header from. */
const GZIP_PEEK = 64 * 1024;

/** What `file` holds: a tar, a gzipped tar, or anything else. */
export async function payloadKind(file: string): Promise<PayloadKind> {
  const head = await readHead(file, GZIP_PEEK);
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    let inflated: Buffer;
    try {
      // a truncated stream inflates as far as it goes with SYNC_FLUSH
      inflated = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH });
    } catch {
      return 'file';
    }
    return isTarHeader(inflated) ? 'tgz' : 'file';
  }
  return isTarHeader(head) ? 'tar' : 'file';
}

/**
 * A tar header block: the POSIX/GNU magic `ustar` at 257, or (old v7 archives) a header whose
 * checksum adds up.
 */
export function isTarHeader(block: Uint8Array): boolean {
  if (block.length < BLOCK) return false;
  const header = Buffer.from(block.buffer, block.byteOffset, BLOCK);
  if (header.toString('latin1', 257, 262) === 'ustar') return true;
  const recorded = parseInt(header.toString('latin1', 148, 156).replace(/\0.*$/, '').trim(), 8);
  if (!Number.isFinite(recorded) || header[0] === 0) return false;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum === recorded;
}

/** Extracts a tar or gzipped tar into `dir` (created if missing); aborting stops it. */
export async function extractTar(file: string, dir: string, signal: AbortSignal): Promise<void> {
  await mkdir(dir, { recursive: true });
  const unpack = new Unpack({ cwd: dir, strict: true, preserveOwner: false });
  const closed = new Promise<void>((resolve, reject) => {
    unpack.once('close', () => resolve());
    unpack.once('error', (error: Error) => reject(error));
  });
  closed.catch(() => {}); // observed below; never an unhandled rejection if reading fails first
  const input = createReadStream(file, { signal });
  try {
    for await (const chunk of input) {
      if (!unpack.write(chunk as Buffer)) await Promise.race([once(unpack, 'drain'), closed]);
    }
  } catch (error) {
    unpack.abort(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
  unpack.end();
  await closed;
}

async function readHead(file: string, length: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
