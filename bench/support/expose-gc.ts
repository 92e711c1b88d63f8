/**
 * Heap benches need a full GC before they read the heap. `npm run bench` does not pass
 * --expose-gc, so such a bench runs itself again in a child node that has it.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `global.gc` when node runs with --expose-gc. */
export const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Without `gc`: runs bench `name` again in a child node with --expose-gc, sets this process's
 * exit code to the child's and returns true (the caller returns). With it: false.
 */
export function rerunWithGc(name: string): boolean {
  if (gc) return false;
  const runner = join(fileURLToPath(new URL('..', import.meta.url)), 'run.js');
  const child = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', runner, name], { stdio: 'inherit' });
  process.exitCode = child.status ?? 1;
  return true;
}
