/**
 * The `auctor` command: wiring only. Commands that exist today are listed by `auctor --help`;
 * bad usage exits 2, as API.md says.
 */
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

const ROLES = ['control', 'cell'] as const;
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
        'kernel on LMDB; the gateway, scheduler and cluster roles arrive with the next issues.',
    )
    .addOption(new Option('--name <name>', "node name (a cell's cell_id)").env('AUCTOR_NAME').default(`${hostname()}-7777`))
    .addOption(new Option('--data <dir>', 'LMDB and container directories').env('AUCTOR_DATA').default('./.auctor'))
    .addOption(
      new Option('--roles <roles>', 'control, cell, or both')
        .env('AUCTOR_ROLES')
        .default('control,cell')
        .argParser(parseRoles),
    )
    .action(async (options: { name: string; data: string; roles: Role[] | string }) => {
      const roles = typeof options.roles === 'string' ? parseRoles(options.roles) : options.roles;
      // Loaded only when needed, so `auctor --help` and client commands start fast.
      const { startNode } = await import('./start.js');
      await startNode({ name: options.name, data: options.data, roles });
    });

  return program;
}

function parseRoles(value: string): Role[] {
  const roles = value.split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (roles.length === 0 || unknown.length > 0) {
    throw new CommanderError(2, 'auctor.invalidRoles', `invalid field: roles: ${unknown.join(', ') || '(empty)'} is not one of ${ROLES.join(', ')}`);
  }
  return roles as Role[];
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) process.exit(0);
      if (error.code === 'auctor.invalidRoles') process.stderr.write(`error: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`auctor: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

await main(process.argv);
