/** Garden helpers for tests: a process backend in a temp dir, and an output sink. */
import { readFileSync } from 'node:fs';
import type { Container, ContainerSpec, OutputLine, OutputStream } from '../../src/garden/backend.js';
import { ProcessBackend } from '../../src/garden/process/process-backend.js';
import { tempDir } from './temp-dir.js';

export interface ProcessGarden {
  backend: ProcessBackend;
  /** a new container on the backend */
  container(handle: string, extra?: Partial<ContainerSpec>): Promise<Container>;
  /** destroys every container (killing what runs), closes the backend, removes its data dir */
  dispose(): Promise<void>;
}

/** A process backend on a fresh temp data dir; call `dispose` in afterEach. */
export async function processGarden(gracefulStopMs = 300): Promise<ProcessGarden> {
  const dir = tempDir('auctor-garden-');
  const backend = await ProcessBackend.open({ dataDir: dir.path, gracefulStopMs, scope: `auctor-test/${process.pid}` });
  return {
    backend,
    container: (handle, extra = {}) => backend.create({ handle, rootfs: 'preloaded:host', ...extra }),
    async dispose() {
      try {
        for (const c of await backend.containers()) await backend.destroy(c.handle);
        await backend.close();
      } finally {
        dir.remove();
      }
    },
  };
}

/** Collects the lines steps and processes write. */
export function outputSink(): {
  lines: OutputLine[];
  onOutput: (line: OutputLine) => void;
  /** `source: line` for every line, or only `stream`'s */
  text(stream?: OutputStream): string[];
} {
  const lines: OutputLine[] = [];
  return {
    lines,
    onOutput: (line) => lines.push(line),
    text: (stream) => lines.filter((l) => !stream || l.stream === stream).map((l) => `${l.source}: ${l.line}`),
  };
}

/** Whether a pid is a live process (a zombie waiting to be reaped counts as gone). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** `sh -c script` as a run action's fields. */
export const sh = (script: string) => ({ path: 'sh', args: ['-c', script], user: 'vcap' });
