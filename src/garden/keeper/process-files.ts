/**
 * The small files of a kept process besides its record: `exit` (the status the keeper wrote)
 * and `offsets.json` (how far the output was read). Neither is worth a container: what cannot
 * be read is reported through `onDamaged` and treated as absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { fieldsError, readRecord, type DamagedFile } from '../records.js';

/** The status the keeper recorded; undefined when there is none, or none that reads as one. */
export function readExitFile(file: string, onDamaged: ((damaged: DamagedFile) => void) | undefined): number | undefined {
  if (!existsSync(file)) return undefined;
  const text = readOr(file).trim();
  if (/^\d{1,3}$/.test(text) && Number(text) <= 255) return Number(text);
  onDamaged?.({ file, error: `not an exit status: ${JSON.stringify(text.slice(0, 40))}` });
  return undefined;
}

/** How far the output was read; from the start when nothing (or nothing readable) was saved. */
export function readOffsets(dir: string, onDamaged: ((damaged: DamagedFile) => void) | undefined): { stdout: number; stderr: number } {
  const file = join(dir, 'offsets.json');
  if (!existsSync(file)) return { stdout: 0, stderr: 0 };
  const read = readRecord<{ stdout: number; stderr: number }>(file, (v) => fieldsError(v, { stdout: 'count', stderr: 'count' }));
  if (read.ok) return read.value;
  onDamaged?.(read.damaged);
  return { stdout: 0, stderr: 0 };
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Records how far the output was read. A directory that is gone (its container destroyed while
 * the backend closed, say) has no adopter to tell: nothing is written, and nothing thrown. A CI
 * run saw a node's stop fail on exactly that, right after its LRP was deleted.
 */
export function writeOffsets(dir: string, stdout: number, stderr: number): void {
  try {
    // no fsync: rewritten every second while output comes; an old or lost one only repeats lines
    writeFileAtomic(join(dir, 'offsets.json'), JSON.stringify({ stdout, stderr }), { fsync: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || existsSync(dir)) throw error;
  }
}
