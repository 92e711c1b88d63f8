/**
 * The client commands of API.md "Command line", declared here so `auctor --help` lists them
 * without loading them: each action imports its command group when it runs.
 */
import { Command, Option } from 'commander';
import { count, flag } from '../flags.js';
import type { ClientFlags } from './context.js';

const DEFAULT_API = 'http://127.0.0.1:8888';

/** A command with the flags every client command takes: `--api`, `--token`, `--json`. */
function client(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .addOption(flag('api', 'url', 'gateway URL; a comma list names the members of a control group: the active is found and followed').default(DEFAULT_API))
    .addOption(flag('token', 'token', 'bearer token the gateway requires'))
    .addOption(new Option('--json', 'print JSON for scripts instead of tables'));
}

async function context(flags: ClientFlags) {
  const { contextFrom } = await import('./context.js');
  return contextFrom(flags);
}

export function addClientCommands(program: Command): void {
  client(program, 'desire', 'Desire an LRP: post the DesiredLRP JSON in FILE (- reads stdin)')
    .argument('<file>', 'DesiredLRP JSON file, or - for stdin')
    .action(async (file: string, flags: ClientFlags) => (await import('./lrps.js')).desire(await context(flags), file));

  client(program, 'lrps', 'List DesiredLRPs with their running instance counts')
    .addOption(new Option('--domain <domain>', 'only this domain'))
    .action(async (flags: ClientFlags & { domain?: string }) => (await import('./lrps.js')).listLrps(await context(flags), flags.domain));

  client(program, 'lrp', 'One DesiredLRP and a table of its instances')
    .argument('<guid>', 'process_guid')
    .action(async (guid: string, flags: ClientFlags) => (await import('./lrps.js')).showLrp(await context(flags), guid));

  client(program, 'scale', "Set an LRP's instance count")
    .argument('<guid>', 'process_guid')
    .argument('<n>', 'instances (a whole number)', count('instances'))
    .action(async (guid: string, n: number, flags: ClientFlags) => (await import('./lrps.js')).scale(await context(flags), guid, n));

  client(program, 'remove', 'Remove a DesiredLRP; all its instances stop')
    .argument('<guid>', 'process_guid')
    .action(async (guid: string, flags: ClientFlags) => (await import('./lrps.js')).remove(await context(flags), guid));

  client(program, 'run-task', 'Desire a task: post the Task JSON in FILE (- reads stdin)')
    .argument('<file>', 'Task JSON file, or - for stdin')
    .action(async (file: string, flags: ClientFlags) => (await import('./tasks.js')).runTask(await context(flags), file));

  client(program, 'tasks', 'List tasks')
    .addOption(new Option('--domain <domain>', 'only this domain'))
    .addOption(new Option('--cell <cell_id>', 'only tasks on this cell'))
    .action(async (flags: ClientFlags & { domain?: string; cell?: string }) => (await import('./tasks.js')).listTasks(await context(flags), flags));

  client(program, 'task', 'One task: state, cell, failure and result')
    .argument('<guid>', 'task_guid')
    .action(async (guid: string, flags: ClientFlags) => (await import('./tasks.js')).showTask(await context(flags), guid));

  client(program, 'cancel', 'Cancel a PENDING or RUNNING task')
    .argument('<guid>', 'task_guid')
    .action(async (guid: string, flags: ClientFlags) => (await import('./tasks.js')).cancel(await context(flags), guid));

  client(program, 'cells', 'Live cells: zone, available/total memory, disk and containers, LRPs and tasks')
    .action(async (flags: ClientFlags) => (await import('./cells.js')).listCells(await context(flags)));

  client(program, 'members', 'Cluster members: name, roles, address, status, last heartbeat')
    .action(async (flags: ClientFlags) => (await import('./cells.js')).listMembers(await context(flags)));

  client(program, 'quarantine', 'Records quarantined because their actor could not be brought back (remove one with its DELETE: remove GUID, ...)')
    .action(async (flags: ClientFlags) => (await import('./quarantine.js')).listQuarantine(await context(flags)));

  client(program, 'tree', 'Draw the supervision tree (of every node, or below PATH) like tree(1), with status and restart counts')
    .argument('[path]', 'actor path, e.g. /<node>/control')
    .addOption(new Option('--depth <n>', 'levels below the root (at least 1), like tree -L').argParser(count('depth')))
    .action(async (path: string | undefined, flags: ClientFlags & { depth?: number }) => (await import('./actors.js')).tree(await context(flags), path, flags.depth));

  client(program, 'send', 'Send a JSON message to an actor; with --ask print its reply')
    .argument('<path>', 'actor path, e.g. /<node>/control/lrps')
    .argument('<json>', 'the message, as JSON')
    .addOption(new Option('--ask', 'wait for the reply and print it'))
    .addOption(new Option('--timeout-ms <ms>', 'how long the gateway waits for the reply').argParser(count('timeout-ms')))
    .action(async (path: string, json: string, flags: ClientFlags & { ask?: boolean; timeoutMs?: number }) =>
      (await import('./actors.js')).send(await context(flags), path, json, flags));

  client(program, 'events', 'Print events as they happen, one line each (`<id> <type> <summary>`; --json: the data), until Ctrl-C')
    .action(async (flags: ClientFlags) => (await import('./events.js')).events(await context(flags)));

  client(program, 'logs', "An LRP's instance output, or a task's (GUID is tried as an LRP, then as a task)")
    .argument('<guid>', 'process_guid or task_guid')
    .addOption(new Option('-f, --follow', 'keep printing new output until Ctrl-C'))
    .addOption(new Option('--tail <n>', 'only the last N lines').argParser(count('tail')))
    .addOption(new Option('--task', 'GUID is a task_guid: skip the LRP'))
    .action(async (guid: string, flags: ClientFlags & { follow?: boolean; tail?: number; task?: boolean }) =>
      (await import('./logs.js')).logs(await context(flags), guid, flags));
}
