/**
 * `auctor up --cells N`: a local cluster. Until nodes can join each other (the cluster issue),
 * it runs one `auctor start` child, with the other flags passed through, that plays both roles;
 * Ctrl-C (SIGINT/SIGTERM) is forwarded to it and `up` exits as it does.
 */
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { count } from './flags.js';

const bin = fileURLToPath(new URL('../../../bin/auctor.js', import.meta.url));

export function addUpCommand(program: Command): void {
  program
    .command('up')
    .description(
      'Run a local cluster in the foreground until Ctrl-C. For now it starts ONE `auctor start` ' +
        'process (roles control,cell) whatever --cells says, since nodes cannot join each other ' +
        'yet; every other flag is passed to it (see `auctor start --help`).',
    )
    .option('--cells <n>', 'cell nodes wanted (today: one node plays control and cell)', count('cells'), 1)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (flags: { cells: number }, command: Command) => {
      if (flags.cells !== 1) process.stderr.write(`auctor up: multi-node clusters are not implemented yet; starting one node instead of ${flags.cells} cells\n`);
      process.exitCode = await runStart(command.args);
    });
}

/** Runs `auctor start ...args`, forwarding SIGINT/SIGTERM; resolves with its exit status. */
function runStart(args: string[]): Promise<number> {
  // its own process group: a terminal's Ctrl-C reaches only `up`, which forwards it once (a
  // second signal would make `start` stop at once instead of cleanly)
  const child = spawn(process.execPath, [bin, 'start', ...args], { stdio: 'inherit', detached: true });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1));
    });
  });
}
