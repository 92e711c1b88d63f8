/**
 * The `auctor` command: wiring only. Commands that exist today are listed by `auctor --help`;
 * bad usage exits 2, as API.md says.
 */
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

const ROLES = ['control', 'cell'] as const;
const BACKENDS = ['process', 'runc', 'fake'] as const;
type Role = (typeof ROLES)[number];

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('auctor')
    .description('A Diego-style container scheduler built as a supervised actor system.')
    .version(pkg.version)
    .exitOverride()
    .showHelpAfterError();

  program
    .command('start')
    .description(
      'Run one node in the foreground until SIGTERM or SIGINT. Today a node runs its actor ' +
        'kernel on LMDB and, with the cell role, opens its container backend (adopting the ' +
        'containers a previous run left) and reports its capacity; the scheduler, gateway and ' +
        'cluster arrive with the next issues.',
    )
    .addOption(new Option('--name <name>', "node name (a cell's cell_id)").env('AUCTOR_NAME').default(`${hostname()}-7777`))
    .addOption(new Option('--data <dir>', 'LMDB and container directories').env('AUCTOR_DATA').default('./.auctor'))
    .addOption(
      new Option('--roles <roles>', 'control, cell, or both')
        .env('AUCTOR_ROLES')
        .default('control,cell')
        .argParser(parseRoles),
    )
    .addOption(new Option('--backend <backend>', 'container backend: process, runc or fake').env('AUCTOR_BACKEND').default('process').argParser(oneOf('backend', BACKENDS)))
    .addOption(new Option('--rootfs <list>', 'name=path list of root filesystems the cell offers (runc: e.g. busybox=DIR)').env('AUCTOR_ROOTFS'))
    .addOption(new Option('--memory-mb <n>', 'memory the cell advertises (default: measured)').env('AUCTOR_MEMORY_MB').argParser(count('memory-mb')))
    .addOption(new Option('--disk-mb <n>', 'disk the cell advertises (default: measured)').env('AUCTOR_DISK_MB').argParser(count('disk-mb')))
    .addOption(new Option('--containers <n>', 'containers the cell advertises').env('AUCTOR_CONTAINERS').default(250).argParser(count('containers')))
    .addOption(new Option('--graceful-stop-ms <ms>', 'TERM, then KILL after this').env('AUCTOR_GRACEFUL_STOP_MS').default(10_000).argParser(count('graceful-stop-ms')))
    .action(async (options: StartFlags) => {
      const roles = typeof options.roles === 'string' ? parseRoles(options.roles) : options.roles;
      const rootfs = options.rootfs === undefined ? {} : parseRootfs(options.rootfs);
      // Loaded only when needed, so `auctor --help` and client commands start fast.
      const { startNode } = await import('./start.js');
      await startNode({
        name: options.name,
        data: options.data,
        roles,
        garden: {
          backend: options.backend,
          rootfs,
          capacity: {
            ...(options.memoryMb === undefined ? {} : { memoryMb: options.memoryMb }),
            ...(options.diskMb === undefined ? {} : { diskMb: options.diskMb }),
            containers: options.containers,
          },
          gracefulStopMs: options.gracefulStopMs,
        },
      });
    });

  return program;
}

interface StartFlags {
  name: string;
  data: string;
  roles: Role[] | string;
  backend: (typeof BACKENDS)[number];
  rootfs?: string;
  memoryMb?: number;
  diskMb?: number;
  containers: number;
  gracefulStopMs: number;
}

/** A usage error naming the field: exit 2. */
function invalid(message: string): CommanderError {
  return new CommanderError(2, 'auctor.invalidField', message);
}

function count(field: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw invalid(`invalid field: ${field}: "${value}" is not a whole number`);
    return n;
  };
}

function oneOf<T extends string>(field: string, allowed: readonly T[]) {
  return (value: string): T => {
    if (!(allowed as readonly string[]).includes(value)) throw invalid(`invalid field: ${field}: "${value}" is not one of ${allowed.join(', ')}`);
    return value as T;
  };
}

function parseRootfs(value: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const item of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = item.indexOf('=');
    const name = at < 0 ? item : item.slice(0, at);
    if (!/^[a-z0-9_-]+$/i.test(name)) throw invalid(`invalid field: rootfs: "${item}" is not name=path`);
    entries[name] = at < 0 ? '' : item.slice(at + 1);
  }
  return entries;
}

function parseRoles(value: string): Role[] {
  const roles = value.split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (roles.length === 0 || unknown.length > 0) {
    throw invalid(`invalid field: roles: ${unknown.join(', ') || '(empty)'} is not one of ${ROLES.join(', ')}`);
  }
  return roles as Role[];
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) process.exit(0);
      if (error.code === 'auctor.invalidField') process.stderr.write(`error: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`auctor: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

await main(process.argv);
