/**
 * Tar and gzipped-tar payloads, told apart from other files by their bytes, never their name.
 * Extraction uses node-tar, which refuses entries that would land outside the target (absolute
 * paths, `..`, links pointing out, writes through a symlink) and, here, keeps the files owned by
 * the node's user.
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

/**
 * Extracts a tar or gzipped tar into `dir` (created if missing); aborting stops it. The first
 * entry node-tar refuses (strict: an absolute or `..` path, a link out of `dir`, a write through
 * a symlink, a damaged archive) fails the whole extraction with `archive entry "<path>": <why>`.
 */
export async function extractTar(file: string, dir: string, signal: AbortSignal): Promise<void> {
  await mkdir(dir, { recursive: true });
  const unpack = new Unpack({ cwd: dir, strict: true, preserveOwner: false });
  const input = createReadStream(file, { signal });
  let refused: Error | undefined;
  const closed = new Promise<void>((resolve, reject) => {
    unpack.once('close', () => resolve());
    // node-tar emits 'error' once per refused entry, and once more for the abort below: this
    // listener stays for the unpack's whole life, or a second error would be unhandled and end
    // the node (issue 12, finding 6)
    unpack.on('error', (error: Error) => {
      if (refused) return;
      refused = archiveError(error);
      input.destroy();
      unpack.abort(refused);
      reject(refused);
    });
  });
  closed.catch(() => {}); // observed below; never an unhandled rejection if reading fails first
  try {
    for await (const chunk of input) {
      if (refused) break;
      if (!unpack.write(chunk as Buffer)) await Promise.race([once(unpack, 'drain'), closed]);
    }
  } catch (error) {
    if (refused) throw refused;
    unpack.abort(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
  if (refused) throw refused;
  unpack.end();
  await closed;
}

/** node-tar's error as a user reads it: which entry, and what is wrong with it. */
function archiveError(error: Error): Error {
  const { path, entry } = error as Error & { path?: unknown; entry?: { path?: unknown } };
  const name = typeof path === 'string' ? path : typeof entry?.path === 'string' ? entry.path : undefined;
  // strict mode makes node-tar's notices errors: "stripping / from absolute path" is a refusal here
  const why = error.message.replace(/^TAR_[A-Z_]+: /, '').replace(/^stripping .* from (absolute \w+)$/, '$1');
  return new Error(name === undefined ? `archive: ${why}` : `archive entry ${JSON.stringify(name)}: ${why}`);
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
