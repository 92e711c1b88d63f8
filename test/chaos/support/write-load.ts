/**
 * Write load with a ledger of what was acknowledged, for the invariant "no acknowledged write
 * lost": every 2xx desire, PATCH, DELETE and task is reflected after a restart.
 *
 * Each writer owns its LRP keys and writes each of them one request at a time (POST when absent;
 * PATCH `instances` and `annotation`, or DELETE, when present), and creates and resolves
 * (DELETE) its own tasks. Every write carries a fresh `annotation`, so the state read back names
 * the write it came from. A 2xx sets the key's acknowledged state; a request that got no answer
 * (the node was killed) or a 5xx may or may not have happened: its state is added to the key's
 * possible states and the key is left alone until the next check. After a restart the state read
 * back must be the acknowledged one or one of those possible ones; then the ledger takes what it
 * read as known and the writers go on from there.
 */
import { http, type HttpAnswer } from '../../support/gateway-node.js';
import { eventually } from '../../support/eventually.js';
import type { ChaosRun, Prng } from './chaos-run.js';

/** An LRP key's state: its instances and the annotation of the write that set it; null when absent. */
export type LrpValue = { instances: number; annotation: string } | null;

interface Entry<T> {
  acked: T;
  /** states of writes whose outcome is unknown, since the last acknowledged one */
  maybe: T[];
  /** an unknown outcome: not written again until the next check */
  tainted: boolean;
  /** the last writes, for the evidence */
  history: string[];
}

export interface WriteLoadOptions {
  /** the gateway's URL now (it changes when the control node restarts) */
  url: () => string;
  prng: Prng;
  run: ChaosRun;
  writers: number;
  lrpsPerWriter: number;
  maxInstances: number;
  /** a DesiredLRP body */
  lrpBody: (guid: string, instances: number, annotation: string) => object;
  /** a Task body; no tasks when absent */
  taskBody?: (guid: string) => object;
}

const same = (a: LrpValue, b: LrpValue) => (a === null || b === null ? a === b : a.instances === b.instances && a.annotation === b.annotation);

export class WriteLoad {
  readonly lrps = new Map<string, Entry<LrpValue>>();
  readonly tasks = new Map<string, Entry<boolean>>();
  private running = false;
  private loops: Promise<void>[] = [];
  private writeSeq = 0;
  private taskSeq = 0;

  constructor(private readonly options: WriteLoadOptions) {
    for (let w = 0; w < options.writers; w++) {
      for (let k = 0; k < options.lrpsPerWriter; k++) this.lrps.set(`w${w}-lrp${k}`, { acked: null, maybe: [], tainted: false, history: [] });
    }
  }

  /** Starts every writer; each stops at its first request without an answer, or at `stop()`. */
  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.options.writers }, (_, w) => this.writer(w, this.options.prng.fork()));
  }

  /** Stops the writers after the requests in flight. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** The instances every present key desires, as the ledger knows them (after a check). */
  desired(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [guid, e] of this.lrps) if (e.acked) out.set(guid, e.acked.instances);
    return out;
  }

  /**
   * Reads back every key and task; reports each that is neither its acknowledged state nor a
   * possible one (`acknowledged-write-kept`), then takes what it read as known.
   */
  async check(): Promise<void> {
    const { url, run } = this.options;
    const read = async (path: string): Promise<HttpAnswer> =>
      eventually(async () => {
        const answer = await http(url(), 'GET', path);
        if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${answer.text}`);
        return answer;
      }, { timeout: 15_000, interval: 100 });
    const desired = new Map<string, LrpValue>();
    for (const d of (await read('/v1/desired_lrps')).json as Array<{ process_guid: string; instances: number; annotation?: string }>) {
      desired.set(d.process_guid, { instances: d.instances, annotation: d.annotation ?? '' });
    }
    for (const [guid, e] of this.lrps) {
      const seen = desired.get(guid) ?? null;
      if (!same(seen, e.acked) && !e.maybe.some((m) => same(m, seen))) {
        run.fail('acknowledged-write-kept', `DesiredLRP ${guid} reads back ${JSON.stringify(seen)}, acknowledged ${JSON.stringify(e.acked)}`, { guid, read: seen, acked: e.acked, possible: e.maybe, last_writes: e.history });
      }
      Object.assign(e, { acked: seen, maybe: [], tainted: false });
    }
    const tasks = new Set(((await read('/v1/tasks')).json as Array<{ task_guid: string }>).map((t) => t.task_guid));
    for (const [guid, e] of this.tasks) {
      const seen = tasks.has(guid);
      if (seen !== e.acked && !e.maybe.includes(seen)) {
        run.fail('acknowledged-write-kept', `Task ${guid} ${seen ? 'exists' : 'is gone'}, acknowledged ${e.acked ? 'created' : 'deleted'}`, { guid, exists: seen, acked: e.acked, possible: e.maybe, last_writes: e.history });
      }
      if (seen) Object.assign(e, { acked: true, maybe: [], tainted: false });
      else this.tasks.delete(guid);
    }
  }

  /** Marks `guid` deleted, as a repair after a failure (the caller deleted it). */
  forget(guid: string): void {
    const e = this.lrps.get(guid);
    if (e) Object.assign(e, { acked: null, maybe: [], tainted: false });
  }

  private async writer(w: number, prng: Prng): Promise<void> {
    const keys = [...this.lrps.keys()].filter((k) => k.startsWith(`w${w}-`));
    while (this.running) {
      const mine = [...this.tasks.entries()].filter(([g, e]) => g.startsWith(`w${w}-`) && e.acked && !e.tainted);
      let goOn: boolean;
      if (this.options.taskBody && prng.chance(0.25)) {
        if (mine.length > 4 || (mine.length > 0 && prng.chance(0.5))) goOn = await this.deleteTask(prng.pick(mine)[0]);
        else goOn = await this.createTask(`w${w}-task${++this.taskSeq}`);
      } else {
        const free = keys.filter((k) => !this.lrps.get(k)!.tainted);
        if (free.length === 0) return;
        goOn = await this.writeLrp(prng.pick(free), prng);
      }
      if (!goOn) return;
      await new Promise((resolve) => setTimeout(resolve, prng.int(0, 20)));
    }
  }

  /** One write to an LRP key; false when it got no answer (the node is down). */
  private async writeLrp(guid: string, prng: Prng): Promise<boolean> {
    const e = this.lrps.get(guid)!;
    const annotation = `write-${++this.writeSeq}`;
    const instances = prng.int(0, this.options.maxInstances);
    if (e.acked === null) {
      return this.send(e, 'POST', '/v1/desired_lrps', this.options.lrpBody(guid, instances, annotation), { instances, annotation }, [201]);
    }
    if (prng.chance(0.25)) return this.send(e, 'DELETE', `/v1/desired_lrps/${guid}`, undefined, null, [204]);
    return this.send(e, 'PATCH', `/v1/desired_lrps/${guid}`, { instances, annotation }, { instances, annotation }, [200]);
  }

  private async createTask(guid: string): Promise<boolean> {
    const e: Entry<boolean> = { acked: false, maybe: [], tainted: false, history: [] };
    this.tasks.set(guid, e);
    return this.send(e, 'POST', '/v1/tasks', this.options.taskBody!(guid), true, [201]);
  }

  /** Resolves a task; 409 (not completed yet) changes nothing. */
  private async deleteTask(guid: string): Promise<boolean> {
    return this.send(this.tasks.get(guid)!, 'DELETE', `/v1/tasks/${guid}`, undefined, false, [204], [409]);
  }

  private async send<T>(e: Entry<T>, method: string, path: string, body: unknown, result: T, ok: number[], unchanged: number[] = []): Promise<boolean> {
    const { run } = this.options;
    const note = (what: string) => {
      e.history.push(`${method} ${path} ${JSON.stringify(result)}: ${what}`);
      if (e.history.length > 6) e.history.shift();
    };
    let answer: HttpAnswer;
    try {
      answer = await http(this.options.url(), method, path, body);
    } catch (error) {
      note(`no answer (${(error as Error).message})`);
      Object.assign(e, { maybe: [...e.maybe, result], tainted: true });
      run.count('unknown_writes');
      return false;
    }
    note(String(answer.status));
    if (ok.includes(answer.status)) {
      Object.assign(e, { acked: result, maybe: [] });
      run.count('acked_writes');
    } else if (answer.status >= 500) {
      Object.assign(e, { maybe: [...e.maybe, result], tainted: true });
      run.count('unknown_writes');
    } else if (!unchanged.includes(answer.status)) {
      e.tainted = true;
      run.fail('unexpected-answer', `${method} ${path} answered ${answer.status}`, { body, answer: answer.text, last_writes: e.history });
    }
    return true;
  }
}
