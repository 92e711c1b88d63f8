/**
 * The `auctor` command: wiring only. Commands that exist today are listed by `auctor --help`;
 * bad usage exits 2, an error 1, as API.md says.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { INVALID_FIELD } from './flags.js';
import { addClientCommands } from './client/register.js';
import { addStartCommand } from './start-command.js';
import { addUpCommand } from './up-command.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('auctor')
    .description('A Diego-style container scheduler built as a supervised actor system.')
    .version(pkg.version)
    .exitOverride()
    .showHelpAfterError();
  addStartCommand(program);
  addUpCommand(program);
  addClientCommands(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) process.exit(0);
      if (error.code === INVALID_FIELD) process.stderr.write(`error: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`auctor: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

await main(process.argv);
