/**
 * Finds keepers by what they were started with, for a process whose record cannot be read (or
 * was never written: the cell died between the spawn and the write): each keeper's command line
 * holds its exit file, `<process dir>/exit` (see KEEPER in kept-process.ts), and the keeper
 * leads the process group of the command it runs. Linux only (/proc), as the backends are.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';

/** Pids of live keepers whose process directory is `root` or below it. */
export function keepersUnder(root: string): number[] {
  const prefix = root.endsWith(sep) ? root : root + sep;
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(join('/proc', entry, 'cmdline'), 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    // /bin/sh -c <script> keeper <exit file> ...
    const exitFile = args[4];
    if (args[3] === 'keeper' && exitFile && exitFile.startsWith(prefix) && exitFile.endsWith(`${sep}exit`)) found.push(Number(entry));
  }
  return found;
}

/** KILLs the process group of every keeper under `root` (see keepersUnder); returns how many. */
export function killKeepersUnder(root: string): number {
  const pids = keepersUnder(root);
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // ended meanwhile
    }
  }
  return pids.length;
}
