/**
 * A process run under a keeper: a few lines of POSIX sh that put the command in the container's
 * cgroup, apply its file limit, run it with output to files, and record its exit status in a
 * file. The keeper leads its own process group and does not depend on its parent, so when the
 * cell process dies (kill -9) the command keeps running and a new cell adopts it: it tails the
 * same files and reads the exit status when it appears. (Garden-runc's `dadoo` plays this role
 * for Diego; sh costs a millisecond where a Node shim would cost tens.)
 *
 * Process directory layout: `process.json` (what adoption needs), `stdout.log`, `stderr.log`,
 * `offsets.json` (how far the output has been read), `exit` (the status, once the command ended).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import { writeFileAtomic } from '../atomic-file.js';
import type { ExitStatus, OutputLine, OutputStream, Process, ProcessIO } from '../backend.js';
import { fieldsError, readRecord, type DamagedFile } from '../records.js';
import { readExitFile, readOffsets, writeOffsets } from './process-files.js';
import { LogTail } from './log-tail.js';

// The keeper catches TERM, INT and HUP before it starts the command: a signal to the group then
// interrupts `wait`, and the loop waits again until the command has ended. The command still
// gets the default handling (a subshell resets caught signals to their defaults). Set after the
// start, a stop that came before the keeper reached the trap killed the keeper instead, and the
// command's own exit status was lost (reported as 143; seen on a loaded CI machine). A signal
// that comes before the command exists is remembered and passed on once it does (otherwise the
// command never sees it: a TERM-ed "sleep 30" ran on until the KILL, also seen in CI).
// The command starts at once and a background subshell moves it (and the keeper) into the
// container's cgroups meanwhile: a cgroup v1 attach blocks the writer for ~10 ms (an RCU grace
// period), a third of a Node start, so doing it before the command would slow every start by
// that much. The cost: what the command forks in its first milliseconds stays outside the
// cgroups (still in the process group, so stop and destroy reach it).
// $1 exit file, $2 cgroup.procs files (':'-separated) or -, $3 nofile or -, then the command.
const KEEPER = `exit_file=$1 cgroup=$2 nofile=$3
shift 3
if [ "$nofile" != - ]; then ulimit -n "$nofile" || exit 125; fi
pending=
trap 'pending=TERM' TERM; trap 'pending=INT' INT; trap 'pending=HUP' HUP
"$@" &
child=$!
trap : TERM INT HUP
if [ -n "$pending" ]; then kill -s "$pending" "$child" 2>/dev/null; fi
if [ "$cgroup" != - ]; then
  (IFS=:; for procs in $cgroup; do echo $child > "$procs"; echo $$ > "$procs"; done) 2>/dev/null &
fi
while :; do
  wait "$child"
  status=$?
  kill -0 "$child" 2>/dev/null || break
done
echo "$status" > "$exit_file.tmp" && mv "$exit_file.tmp" "$exit_file"
exit "$status"`;

const ADOPTED_POLL_MS = 200;
const MAX_BUFFERED = 5000;
/** How often how far the output was read is saved, for an adopter to go on from there. */
const OFFSETS_SAVE_MS = 1000;

interface ProcessRecord {
  id: string;
  pid: number;
  /** from /proc/<pid>/stat: tells a live keeper from a reused pid */
  startTime: string | null;
  source: string;
  startedAt: number;
}

export interface KeeperLaunch {
  id: string;
  /** the process directory; created if missing */
  dir: string;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** `cgroup.procs` files of the container's cgroups (memory, pids), when enforced */
  cgroupProcs?: string[];
  nofile?: number;
  io?: ProcessIO;
  /** the container's OOM-kill counter, to tell an out-of-memory kill from any other */
  oomKills?: () => number;
  /** hears of a file of the process that could not be read (then treated as absent) */
  onDamaged?: (damaged: DamagedFile) => void;
}

/** What `KeptProcess.adopt` finds in a process directory. */
export type Adoption =
  /** followed again */
  | { kind: 'adopted'; process: KeptProcess }
  /** no process.json: nothing was started, or the cell died before recording it */
  | { kind: 'unrecorded' }
  /** process.json cannot be read: the process cannot be followed */
  | { kind: 'damaged'; damaged: DamagedFile };

const isProcessRecord = (value: unknown) =>
  fieldsError(value, { id: 'string', pid: 'count', startTime: 'string|null', source: 'string', startedAt: 'number' }) ??
  ((value as ProcessRecord).pid > 1 ? undefined : 'field pid: not a process id');

export class KeptProcess implements Process {
  private status: ExitStatus | undefined;
  private readonly exited: Promise<ExitStatus>;
  private readonly tails: LogTail[] = [];
  private saveOffsets: NodeJS.Timeout | undefined;
  /** what keeps following the process: the child handle, or the adopted process's poll */
  private release_: () => void = () => {};
  private sink: ProcessIO | undefined;
  /** lines read while nobody is attached (an adopted process), up to MAX_BUFFERED */
  private buffered: OutputLine[] = [];
  private onExit!: (status: ExitStatus) => void;

  private constructor(
    readonly id: string,
    readonly pid: number,
    private readonly dir: string,
    private readonly oomKillsAtStart: number,
    private readonly oomKills: (() => number) | undefined,
    private readonly onDamaged: ((damaged: DamagedFile) => void) | undefined,
  ) {
    this.exited = new Promise((resolve) => (this.onExit = resolve));
  }

  /** Starts the command under a keeper. Resolves once it has been spawned. */
  static async start(launch: KeeperLaunch): Promise<KeptProcess> {
    mkdirSync(launch.dir, { recursive: true });
    const out = openSync(join(launch.dir, 'stdout.log'), 'a');
    const err = openSync(join(launch.dir, 'stderr.log'), 'a');
    const oomKillsAtStart = launch.oomKills?.() ?? 0;
    try {
      const child = spawn(
        '/bin/sh',
        ['-c', KEEPER, 'keeper', join(launch.dir, 'exit'), launch.cgroupProcs?.length ? launch.cgroupProcs.join(':') : '-', launch.nofile ? String(launch.nofile) : '-', ...launch.argv],
        { cwd: launch.cwd, env: launch.env, detached: true, stdio: ['ignore', out, err] },
      );
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      const pid = child.pid!;
      const record: ProcessRecord = { id: launch.id, pid, startTime: startTimeOf(pid), source: launch.io?.source ?? 'APP', startedAt: Date.now() };
      writeFileAtomic(join(launch.dir, 'process.json'), JSON.stringify(record));
      const kept = new KeptProcess(launch.id, pid, launch.dir, oomKillsAtStart, launch.oomKills, launch.onDamaged);
      kept.follow(launch.io, launch.io?.source ?? 'APP', 0, 0);
      child.once('exit', (code, signal) => void kept.settle(code, signal));
      kept.release_ = () => child.unref();
      return kept;
    } finally {
      closeSync(out);
      closeSync(err);
    }
  }

  /**
   * Takes over a process a previous backend run started, from the output it had not read yet
   * (from the start of it when `offsets.json` is damaged, which `onDamaged` hears). Never throws
   * for what it finds on disk: see {@link Adoption}.
   */
  static adopt(dir: string, options: Pick<KeeperLaunch, 'oomKills' | 'onDamaged'> = {}): Adoption {
    const recordPath = join(dir, 'process.json');
    if (!existsSync(recordPath)) return { kind: 'unrecorded' };
    const read = readRecord<ProcessRecord>(recordPath, isProcessRecord);
    if (!read.ok) return { kind: 'damaged', damaged: read.damaged };
    const record = read.value;
    const { oomKills, onDamaged } = options;
    const kept = new KeptProcess(record.id, record.pid, dir, oomKills?.() ?? 0, oomKills, onDamaged);
    const offsets = readOffsets(dir, onDamaged);
    kept.follow(undefined, record.source, offsets.stdout, offsets.stderr);
    const alive = () => record.startTime !== null && startTimeOf(record.pid) === record.startTime;
    const check = () => {
      if (alive()) return;
      clearInterval(timer);
      void kept.settle(null, null);
    };
    // the poll keeps Node alive, as a child handle would, until the process ends or is released
    const timer = setInterval(check, ADOPTED_POLL_MS);
    kept.release_ = () => clearInterval(timer);
    check();
    return { kind: 'adopted', process: kept };
  }

  /** The exit status, once known. */
  get exitStatus(): ExitStatus | undefined {
    return this.status;
  }

  wait(signal?: AbortSignal): Promise<ExitStatus> {
    if (!signal) return this.exited;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      void this.exited.then((s) => {
        signal.removeEventListener('abort', onAbort);
        resolve(s);
      });
    });
  }

  async signal(sig: 'TERM' | 'KILL' | 'INT' | 'HUP'): Promise<void> {
    if (this.status) return;
    try {
      process.kill(-this.pid, `SIG${sig}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  /**
   * Stops following the process without touching it (the backend is closing; the next one
   * adopts it). Output read so far is recorded for the adopter; `wait()` stays pending.
   */
  async release(): Promise<void> {
    if (this.status) return;
    this.release_();
    clearInterval(this.saveOffsets);
    await Promise.all(this.tails.map((t) => t.close(false)));
    writeOffsets(this.dir, this.tails[0]!.position, this.tails[1]!.position);
  }

  attach(io: ProcessIO): void {
    this.sink = io;
    const pending = this.buffered;
    this.buffered = [];
    for (const line of pending) io.onOutput?.(io.source ? { ...line, source: io.source } : line);
  }

  private follow(io: ProcessIO | undefined, source: string, stdoutFrom: number, stderrFrom: number): void {
    this.sink = io;
    const deliver = (stream: OutputStream, line: string) => {
      const out: OutputLine = { stream, source: this.sink?.source ?? source, line, at: Date.now() };
      if (this.sink) this.sink.onOutput?.(out);
      else if (this.buffered.length < MAX_BUFFERED) this.buffered.push(out);
    };
    const tail = (stream: OutputStream, from: number) => new LogTail(join(this.dir, `${stream}.log`), (line) => deliver(stream, line), from);
    this.tails.push(tail('stdout', stdoutFrom), tail('stderr', stderrFrom));
    // After a cell crash the adopter re-reads at most this interval's lines, and loses none.
    let saved = `${stdoutFrom}/${stderrFrom}`;
    this.saveOffsets = setInterval(() => {
      const now = `${this.tails[0]!.position}/${this.tails[1]!.position}`;
      if (now === saved) return;
      saved = now;
      writeOffsets(this.dir, this.tails[0]!.position, this.tails[1]!.position);
    }, OFFSETS_SAVE_MS);
    this.saveOffsets.unref();
  }

  /** The keeper has ended: read the status it recorded, drain the output, resolve waiters. */
  private async settle(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (this.status) return;
    clearInterval(this.saveOffsets);
    await Promise.all(this.tails.map((t) => t.close()));
    writeOffsets(this.dir, this.tails[0]!.position, this.tails[1]!.position);
    const exitFile = join(this.dir, 'exit');
    let status: ExitStatus;
    const recorded = readExitFile(exitFile, this.onDamaged);
    if (recorded !== undefined) {
      status = exitStatus(recorded);
    } else if (signal) {
      // the keeper itself was killed (KILL to the group): the command went with it
      status = exitStatus(128 + (constants.signals[signal] ?? 9));
    } else if (code !== null) {
      status = exitStatus(code);
    } else {
      // adopted, and gone without a record: only KILL ends a keeper before it writes one
      status = exitStatus(128 + constants.signals.SIGKILL);
    }
    if (status.signal === 'KILL' && this.oomKills && this.oomKills() > this.oomKillsAtStart) status.oom = true;
    writeFileAtomic(exitFile, String(status.code));
    this.status = status;
    this.onExit(status);
  }
}

function exitStatus(code: number): ExitStatus {
  if (code > 128 && code < 128 + 65) {
    const name = Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0];
    if (name) return { code, signal: name.replace(/^SIG/, ''), oom: false };
  }
  return { code, oom: false };
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks), or null if there is no such process. */
function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: count from the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return null;
    return fields[19] ?? null;
  } catch {
    return null;
  }
}
