/**
 * Files the Garden backends keep (records adoption reads, offsets, exit statuses, runc's bundle
 * files) are replaced whole or not at all: the bytes go to a temporary file in the same
 * directory, are fsynced, and the temporary file is renamed over the target. A kill -9 (or a
 * power cut) at any moment leaves either the old content or the new, never an empty or half
 * file. `writeFileSync` truncates first, which is how a cell once left an empty `process.json`
 * and then could not start.
 *
 * The directory is not fsynced: a rename lost to a power cut loses a record of processes the
 * power cut ended too (adoption then removes what is left), and the fsync cost ~1.3 ms per
 * record here, twice on every container start.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** file mode of a new file; default 0o644 (before the umask) */
  mode?: number;
  /**
   * Whether the file is fsynced before the rename, default true. False keeps only the
   * atomicity against a killed process, for a file rewritten every second whose loss or age only
   * repeats work (the output offsets): an fsync blocks the event loop.
   */
  fsync?: boolean;
}

let counter = 0;

/** Replaces `path` with `data` atomically (see the file comment). */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${++counter}.tmp`);
  try {
    const fd = openSync(temp, 'w', options.mode ?? 0o644);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      if (options.fsync !== false) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
