/**
 * `events`, `logs`, `tree`, `send`, `members` and the bearer token, end to end against a real
 * node started with `--api-token` (the commands get it from AUCTOR_TOKEN).
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { finished, type Finished } from '../support/child-process.js';
import { eventually } from '../support/eventually.js';
import { auctorBin, http, removeAllLrps, startNode, type NodeProcess, type RunOptions } from '../support/gateway-node.js';
import { tempDir } from '../support/temp-dir.js';

const TOKEN = 'cli-s3cret';
const NAME = 'cli-observe';
const auth = { authorization: `Bearer ${TOKEN}` };

const shLrp = (guid: string, script: string, instances = 1) => ({
  process_guid: guid,
  domain: 'cli',
  rootfs: 'preloaded:host',
  instances,
  action: { run: { path: 'sh', args: ['-c', script], user: 'root' } },
});

/** A command left running (`events`, `logs -f`): its output so far, and Ctrl-C. */
interface Watched {
  stdout(): string;
  /** SIGINT, then its exit */
  interrupt(): Promise<Finished>;
}

describe('auctor events, logs, tree, send and members against a real node', function () {
  this.timeout(30_000);
  const dir = tempDir();
  let node: NodeProcess;
  const run = (args: string[], options: RunOptions = {}) => node.run(args, { ...options, env: { AUCTOR_TOKEN: TOKEN, ...options.env } });
  const watch = (args: string[]): Watched => {
    const child = spawn(process.execPath, [auctorBin, ...args, '--api', node.url], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AUCTOR_TOKEN: TOKEN } });
    const done = finished(child, 30_000);
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    return { stdout: () => stdout, interrupt: () => (child.kill('SIGINT'), done) };
  };
  const call = (method: string, path: string, body?: unknown) => http(node.url, method, path, body, auth);

  before(async () => {
    node = await startNode(dir.path, ['--name', NAME, '--api-token', TOKEN]);
  });
  after(async () => {
    try {
      if (node) await removeAllLrps(node.url, auth);
    } finally {
      await node?.stop();
      dir.remove();
    }
  });

  it('sends the token from AUCTOR_TOKEN or --token; without it exits 1 with the 401 message', async () => {
    const refused = await node.run(['cells']);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.equal('auctor: missing or wrong bearer token\n');
    expect((await node.run(['cells', '--token', TOKEN])).code).to.equal(0);
    expect((await run(['cells'])).code).to.equal(0);
  });

  it('events prints `<id> <type> <summary>` (--json: the data) per event until Ctrl-C, then exits 0', async () => {
    expect((await call('POST', '/v1/desired_lrps', shLrp('probe', 'exec sleep 1000', 0))).status).to.equal(201);
    const people = watch(['events']);
    const json = watch(['events', '--json']);
    // the stream has no "subscribed" signal: change the probe until both have seen a change
    let n = 0;
    await eventually(async () => {
      expect((await call('PATCH', '/v1/desired_lrps/probe', { annotation: String(n++) })).status).to.equal(200);
      expect(people.stdout()).to.match(/ desired_lrp_changed probe instances=0\n/);
      expect(json.stdout()).to.contain('"annotation"');
    }, { timeout: 10_000, interval: 300 });

    expect((await call('POST', '/v1/desired_lrps', shLrp('ev', 'exec sleep 1000'))).status).to.equal(201);
    await eventually(() => expect(people.stdout()).to.match(new RegExp(`actual_lrp_instance_changed ev/0 CLAIMED->RUNNING cell=${NAME}\n`)), { timeout: 10_000 });
    const lines = people.stdout().trimEnd().split('\n');
    for (const line of lines) expect(line).to.match(/^\d+ [a-z_]+ \S/);
    const ev = lines.filter((l) => / ev\//.test(l) || / ev /.test(l)).map((l) => l.replace(/^\d+ /, ''));
    expect(ev.slice(0, 2)).to.deep.equal(['desired_lrp_created ev instances=1', 'actual_lrp_instance_created ev/0 UNCLAIMED']);
    const ids = lines.map((l) => Number(l.split(' ')[0]));
    expect(ids, 'ids count up by one').to.deep.equal(ids.map((_, i) => ids[0]! + i));

    const stopped = await people.interrupt();
    expect(stopped.code, stopped.stderr).to.equal(0);
    const data = (await json.interrupt()).stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { desired_lrp?: { process_guid: string } });
    expect(data.some((d) => d.desired_lrp?.process_guid === 'ev')).to.equal(true);
  });

  it('logs GUID prints what an LRP printed, stdout and stderr; --tail; --json', async () => {
    expect((await run(['desire', '-'], { input: JSON.stringify(shLrp('hello', 'echo hello-from-app; echo oops >&2; exec sleep 1000')) })).code).to.equal(0);
    const line = (stream: string, text: string) => new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\[APP/PROC/WEB/0\\] ${stream} ${text}$`);
    const out = await eventually(async () => {
      const logs = await run(['logs', 'hello']);
      expect(logs.code, logs.stderr).to.equal(0);
      expect(logs.stdout.trimEnd().split('\n')).to.have.length(2);
      return logs.stdout.trimEnd().split('\n');
    }, { timeout: 10_000, interval: 200 });
    // stdout and stderr are read from two pipes: the order between them is not defined
    const outLine = out.find((l) => l.includes('hello-from-app'));
    const errLine = out.find((l) => l.includes('oops'));
    expect(outLine).to.match(line('OUT', 'hello-from-app'));
    expect(errLine).to.match(line('ERR', 'oops'));

    const last = (await run(['logs', 'hello', '--tail', '1'])).stdout;
    expect(last.trimEnd().split('\n')).to.have.length(1);
    expect(last.trimEnd()).to.equal(out[1]);
    const json = JSON.parse((await run(['logs', 'hello', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(json.find((l) => l.stream === 'stdout')).to.include({ source: 'APP/PROC/WEB/0', line: 'hello-from-app', index: 0 });
  });

  it("logs GUID falls back to a task's output; --task; an unknown guid exits 1 naming both", async () => {
    const task = { task_guid: 'say', domain: 'cli', rootfs: 'preloaded:host', action: { run: { path: 'sh', args: ['-c', 'echo task-says-hi'], user: 'root' } } };
    expect((await run(['run-task', '-'], { input: JSON.stringify(task) })).code).to.equal(0);
    await eventually(async () => {
      for (const args of [['logs', 'say'], ['logs', 'say', '--task']]) {
        const logs = await run(args);
        expect(logs.code, logs.stderr).to.equal(0);
        expect(logs.stdout).to.match(/^\S+ \[TASK\] OUT task-says-hi\n\S+ \[TASK\] OUT Exit status 0\n$/);
      }
    }, { timeout: 10_000, interval: 200 });
    const missing = await run(['logs', 'nope']);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.equal('auctor: desired lrp nope not found; task nope not found\n');
    expect((await run(['logs', 'hello', '--task'])).stderr).to.equal('auctor: task hello not found\n');
  });

  it('logs -f prints new lines as they come until Ctrl-C, then exits 0', async () => {
    expect((await call('POST', '/v1/desired_lrps', shLrp('ticker', 'i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.2; done'))).status).to.equal(201);
    const tick = (text: string) => Math.max(0, ...[...text.matchAll(/ OUT tick-(\d+)$/gm)].map((m) => Number(m[1])));
    const before = await eventually(async () => {
      const seen = tick((await run(['logs', 'ticker'])).stdout);
      expect(seen).to.be.greaterThan(0);
      return seen;
    }, { timeout: 10_000, interval: 200 });
    const follow = watch(['logs', 'ticker', '-f', '--tail', '1']);
    await eventually(() => expect(tick(follow.stdout())).to.be.greaterThan(before + 2), { timeout: 10_000 });
    const result = await follow.interrupt();
    expect(result.code, result.stderr).to.equal(0);
    const ticks = [...result.stdout.matchAll(/tick-(\d+)$/gm)].map((m) => Number(m[1]));
    expect(ticks, 'in order, none missed').to.deep.equal(ticks.map((_, i) => ticks[0]! + i));
  });

  it('tree draws every node like tree(1) with status and restart counts', async () => {
    const out = await run(['tree']);
    expect(out.code, out.stderr).to.equal(0);
    const lines = out.stdout.split('\n');
    expect(lines[0]).to.equal(`/${NAME}`);
    expect(lines[1]).to.equal(`├── cell-${NAME} (cell) running restarts=0`);
    expect(lines).to.include('└── control (control) running restarts=0');
    expect(lines).to.include('    ├── lrps (lrps) running restarts=0');
    expect(lines.find((l) => l.includes(' hello (lrp-supervisor)'))).to.match(/^ {4}│ {3}[├└]── hello \(lrp-supervisor\) running restarts=0$/);
    expect(out.stdout).to.match(/\n\n\d+ actors\n$/);
    // one line per actor, plus the node, a blank line, the count and the final newline
    expect(Number(/(\d+) actors\n$/.exec(out.stdout)![1])).to.equal(lines.length - 4);
    const json = JSON.parse((await run(['tree', '--json'])).stdout) as { nodes: Array<{ node: string }> };
    expect(json.nodes.map((n) => n.node)).to.deep.equal([NAME]);
  });

  it('tree PATH draws one subtree; --depth N shows N levels below it and counts what it cut', async () => {
    const control = await run(['tree', `/${NAME}/control`, '--depth', '1']);
    expect(control.code, control.stderr).to.equal(0);
    expect(control.stdout).to.equal([
      `/${NAME}/control (control) running restarts=0`,
      '├── auctioneer (auctioneer) running restarts=0',
      '├── cells (cells) running restarts=0',
      '├── convergence (convergence) running restarts=0',
      '├── domains (domains) running restarts=0',
      '├── lrps (lrps) running restarts=0 (+4 children)',
      '└── tasks (tasks) running restarts=0 (+1 children)',
      '',
      '7 actors',
      '',
    ].join('\n'));
    // the cell's containers: ev, hello and ticker (the finished task's goes)
    await eventually(async () => {
      const top = await run(['tree', `/${NAME}`, '--depth', '1']);
      expect(top.stdout.split('\n').slice(0, 4)).to.deep.equal([
        `/${NAME}`,
        `├── cell-${NAME} (cell) running restarts=0 (+3 children)`,
        '├── cluster (cluster) running restarts=0',
        '└── control (control) running restarts=0 (+6 children)',
      ]);
    }, { timeout: 5_000, interval: 200 });

    const missing = await run(['tree', `/${NAME}/control/nope`]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.equal(`auctor: actor not found: /${NAME}/control/nope\n`);
    const zero = await run(['tree', '--depth', '0']);
    expect(zero.code).to.equal(2);
    expect(zero.stderr).to.contain('invalid field: depth');
  });

  it('send PATH JSON delivers (202 → exit 0); --ask prints the reply; a bad message, an unknown actor or no reply in --timeout-ms exits 1', async () => {
    const sent = await run(['send', `/${NAME}/control/convergence`, '{"type":"convergence/run"}']);
    expect(sent.code, sent.stderr).to.equal(0);
    expect(sent.stdout).to.equal(`sent to /${NAME}/control/convergence\n`);

    const asked = await run(['send', `/${NAME}/control/lrps`, '{"type":"lrps/get","process_guid":"hello"}', '--ask']);
    expect(asked.code, asked.stderr).to.equal(0);
    expect(JSON.parse(asked.stdout)).to.include({ process_guid: 'hello', instances: 1 });

    const bad = await run(['send', `/${NAME}/control/lrps`, '{"type":"lrps/get"}', '--ask']);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.equal('auctor: invalid field: process_guid\n');
    const unknown = await run(['send', `/${NAME}/control/nope`, '{"type":"x"}']);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.equal(`auctor: actor not found: /${NAME}/control/nope\n`);
    const silent = await run(['send', `/${NAME}/control/lrps/hello/0`, '{"type":"actual-lrp/retry"}', '--ask', '--timeout-ms', '200']);
    expect(silent.code).to.equal(1);
    expect(silent.stderr).to.equal(`auctor: no reply from /${NAME}/control/lrps/hello/0 within 200ms (actual-lrp/retry has no reply; it was delivered)\n`);
    expect((await run(['send', `/${NAME}/control/lrps`, '{type'])).code, 'not JSON').to.equal(2);
  });

  it('members lists the node itself, alone in its cluster', async () => {
    const out = await run(['members']);
    expect(out.code, out.stderr).to.equal(0);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(/^NAME\s+ROLES\s+ADDRESS\s+STATUS\s+LAST_HEARTBEAT$/);
    expect(lines.slice(1)).to.have.length(1);
    expect(lines[1]).to.match(new RegExp(`^${NAME}\\s+control,cell\\s+127\\.0\\.0\\.1:\\d+\\s+up\\s+self$`));
    const json = await run(['members', '--json']);
    const [self] = JSON.parse(json.stdout);
    expect(self).to.include({ name: NAME, status: 'up', self: true });
    expect(self.address).to.match(/^127\.0\.0\.1:\d+$/);
    expect(self.roles).to.deep.equal(['control', 'cell']);
    // ns since the epoch, like every time the API answers: this process started moments ago
    expect(Math.abs(self.up_since / 1e6 - Date.now())).to.be.below(120_000);
  });
});
