/**
 * What a cell advertises: memory and disk measured from the machine (systeminformation), 250
 * containers (Diego's `max_containers` default), each overridable by flags
 * (`--memory-mb`, `--disk-mb`, `--containers`).
 */
import si from 'systeminformation';
import type { Capacity } from './backend.js';

export const DEFAULT_MAX_CONTAINERS = 250;

export async function measureCapacity(dataDir: string, overrides: Partial<Capacity> = {}): Promise<Capacity> {
  const memoryMb = overrides.memoryMb ?? Math.floor((await si.mem()).total / (1024 * 1024));
  const diskMb = overrides.diskMb ?? (await diskMbFor(dataDir));
  return { memoryMb, diskMb, containers: overrides.containers ?? DEFAULT_MAX_CONTAINERS };
}

/** Size of the filesystem holding `dir`: the longest mount point that prefixes it. */
async function diskMbFor(dir: string): Promise<number> {
  const filesystems = await si.fsSize();
  const holding = filesystems
    .filter((fs) => dir === fs.mount || dir.startsWith(fs.mount.endsWith('/') ? fs.mount : `${fs.mount}/`))
    .sort((a, b) => b.mount.length - a.mount.length)[0];
  return Math.floor((holding?.size ?? 0) / (1024 * 1024));
}
