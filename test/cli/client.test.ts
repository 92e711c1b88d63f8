import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { removeAllLrps, runAuctor, startNode, type NodeProcess } from '../support/gateway-node.js';
import { eventually } from '../support/eventually.js';
import { tempDir } from '../support/temp-dir.js';

const sleeper = (guid: string, instances = 1) => ({
  process_guid: guid,
  domain: 'cli',
  rootfs: 'preloaded:host',
  instances,
  memory_mb: 16,
  action: { run: { path: 'sh', args: ['-c', 'exec sleep 1000'], user: 'root' } },
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('auctor client commands against a real node', function () {
  this.timeout(30_000);
  let node: NodeProcess;
  const dir = tempDir('auctor-cli-');
  const files = tempDir('auctor-cli-files-');
  const file = (name: string, content: unknown) => {
    const path = join(files.path, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  before(async () => {
    node = await startNode(dir.path, ['--name', `cli-${process.pid}`]);
  });
  after(async () => {
    try {
      if (node) await removeAllLrps(node.url);
    } finally {
      await node?.stop();
      dir.remove();
      files.remove();
    }
  });

  it('--help lists the client commands', async () => {
    const out = await runAuctor(['--help']);
    expect(out.code).to.equal(0);
    for (const command of ['desire', 'lrps', 'scale', 'run-task', 'cancel', 'cells', 'members', 'tree', 'send', 'events', 'logs', 'up']) {
      expect(out.stdout).to.match(new RegExp(`^  ${command} `, 'm'));
    }
  });

  it('desire FILE stores the LRP; lrps and lrp show its running instance', async () => {
    const desired = await node.run(['desire', file('web.json', sleeper('web'))]);
    expect(desired.code, desired.stderr).to.equal(0);
    expect(desired.stdout).to.equal('desired web (1 instance)\n');

    await eventually(async () => {
      const lrps = await node.run(['lrps']);
      expect(lrps.code).to.equal(0);
      const lines = lrps.stdout.trimEnd().split('\n');
      expect(lines[0]).to.match(/^PROCESS_GUID\s+DOMAIN\s+INSTANCES\s+RUNNING\s+MEMORY_MB$/);
      expect(lines[1]).to.match(/^web\s+cli\s+1\s+1\s+16$/);
    }, { timeout: 10_000, interval: 200 });

    const lrp = await node.run(['lrp', 'web']);
    expect(lrp.code).to.equal(0);
    expect(lrp.stdout).to.match(/^process_guid: web$/m);
    expect(lrp.stdout).to.match(/^action: +run sh -c exec sleep 1000$/m);
    expect(lrp.stdout).to.match(/^INDEX\s+STATE\s+CELL\s+ADDRESS\s+CRASHES\s+SINCE\s+PLACEMENT_ERROR$/m);
    expect(lrp.stdout).to.match(new RegExp(`^0\\s+RUNNING\\s+${node.name}\\s+127\\.0\\.0\\.1\\s+0\\s+\\d+s\\s+-$`, 'm'));

    const json = JSON.parse((await node.run(['lrp', 'web', '--json'])).stdout);
    expect(json.desired_lrp).to.include({ process_guid: 'web', instances: 1 });
    expect(json.actual_lrps).to.have.length(1);
  });

  it('desire - reads stdin; --json prints the stored DesiredLRP', async () => {
    const out = await node.run(['desire', '-', '--json'], { input: JSON.stringify(sleeper('from-stdin', 0)) });
    expect(out.code, out.stderr).to.equal(0);
    expect(JSON.parse(out.stdout)).to.include({ process_guid: 'from-stdin', instances: 0 }).and.to.have.property('modification_tag');
  });

  it('an API error exits 1 with its message on stderr', async () => {
    const missing = await node.run(['lrp', 'nope']);
    expect(missing.code).to.equal(1);
    expect(missing.stdout).to.equal('');
    expect(missing.stderr).to.equal('auctor: desired lrp nope not found\n');

    const twice = await node.run(['desire', file('again.json', sleeper('from-stdin', 0))]);
    expect(twice.code).to.equal(1);
    expect(twice.stderr).to.contain('already exists');

    const invalid = await node.run(['desire', file('no-guid.json', { ...sleeper('x'), process_guid: undefined })]);
    expect(invalid.code).to.equal(1);
    expect(invalid.stderr).to.contain('invalid field: process_guid');
  });

  it('bad usage exits 2 and changes nothing: invalid JSON naming the file, a bad count, an unknown flag', async () => {
    const path = file('broken.json', '{"process_guid": ');
    const broken = await node.run(['desire', path]);
    expect(broken.code).to.equal(2);
    expect(broken.stderr).to.contain(`invalid JSON in ${path}`);

    const scale = await node.run(['scale', 'web', 'x']);
    expect(scale.code).to.equal(2);
    expect(scale.stderr).to.contain('invalid field: instances');

    const flag = await node.run(['lrps', '--bogus']);
    expect(flag.code).to.equal(2);
    expect(flag.stderr).to.contain("unknown option '--bogus'");

    expect((await node.run(['lrp'])).code, 'missing argument').to.equal(2);
    const lrps = JSON.parse((await node.run(['lrps', '--json'])).stdout) as Array<{ process_guid: string; instances: number }>;
    expect(lrps.map((l) => `${l.process_guid}:${l.instances}`).sort()).to.deep.equal(['from-stdin:0', 'web:1']);
  });

  it('scale GUID N changes the instances and they start', async () => {
    const out = await node.run(['scale', 'web', '2']);
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout).to.equal('scaled web to 2 instances\n');
    await eventually(async () => {
      const { actual_lrps } = JSON.parse((await node.run(['lrp', 'web', '--json'])).stdout) as { actual_lrps: Array<{ state: string }> };
      expect(actual_lrps.map((a) => a.state)).to.deep.equal(['RUNNING', 'RUNNING']);
    }, { timeout: 10_000, interval: 200 });
    expect((await node.run(['scale', 'nope', '1'])).stderr).to.match(/^auctor: desired lrp .*not found.*\n$/);
  });

  it('cells shows the node as a cell with what its instances use', async () => {
    const out = await node.run(['cells']);
    expect(out.code, out.stderr).to.equal(0);
    const [header, row] = out.stdout.trimEnd().split('\n');
    expect(header).to.match(/^CELL_ID\s+ZONE\s+MEMORY_MB\s+DISK_MB\s+CONTAINERS\s+LRPS\s+TASKS\s+STATE$/);
    expect(row).to.match(new RegExp(`^${node.name}\\s+z1\\s+\\d+/\\d+\\s+\\d+/\\d+\\s+248/250\\s+2\\s+0\\s+ok$`));
  });

  it('remove GUID removes the LRP', async () => {
    const out = await node.run(['remove', 'from-stdin']);
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout).to.equal('removed from-stdin\n');
    expect((await node.run(['lrp', 'from-stdin'])).code).to.equal(1);
    expect((await node.run(['remove', 'from-stdin'])).stderr).to.contain('not found');
  });

  it('run-task, tasks, task and cancel', async () => {
    const task = { task_guid: 'hello', domain: 'cli', rootfs: 'preloaded:host', result_file: 'out.txt', action: { run: { path: 'sh', args: ['-c', 'echo hi > out.txt'], user: 'root' } } };
    const created = await node.run(['run-task', '-'], { input: JSON.stringify(task) });
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stdout).to.equal('created task hello (PENDING)\n');

    await eventually(async () => {
      const shown = await node.run(['task', 'hello']);
      expect(shown.stdout).to.match(/^state: +COMPLETED$/m);
      expect(shown.stdout).to.match(/^failed: +false$/m);
      expect(shown.stdout).to.match(/^result: +"hi\\n"$/m);
    }, { timeout: 10_000, interval: 200 });

    const list = await node.run(['tasks', '--domain', 'cli']);
    expect(list.stdout).to.match(/^TASK_GUID\s+DOMAIN\s+STATE\s+CELL\s+FAILED\s+AGE\s+FAILURE_REASON$/m);
    expect(list.stdout).to.match(/^hello\s+cli\s+COMPLETED\s+-\s+false\s+\d+s\s+-$/m);
    expect((await node.run(['tasks', '--domain', 'other'])).stdout.trim().split('\n')).to.have.length(1);

    const cancel = await node.run(['cancel', 'hello']);
    expect(cancel.code).to.equal(1);
    expect(cancel.stderr).to.contain('cannot transition task from COMPLETED');
    expect((await node.run(['task', 'nope'])).stderr).to.equal('auctor: task nope not found\n');
  });

  it('cancel stops a running task', async () => {
    const task = { task_guid: 'long', domain: 'cli', rootfs: 'preloaded:host', action: { run: { path: 'sh', args: ['-c', 'exec sleep 1000'], user: 'root' } } };
    expect((await node.run(['run-task', file('long.json', task)])).code).to.equal(0);
    const out = await node.run(['cancel', 'long']);
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout).to.equal('cancelled long\n');
    await eventually(async () => {
      const shown = JSON.parse((await node.run(['task', 'long', '--json'])).stdout);
      expect(shown).to.include({ state: 'COMPLETED', failed: true, failure_reason: 'task was cancelled' });
    }, { timeout: 10_000, interval: 200 });
  });

  it('reads the gateway from AUCTOR_API, also as host:port', async () => {
    const out = await runAuctor(['lrps'], { env: { AUCTOR_API: node.url.replace('http://', '') } });
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout).to.match(/^web\s/m);
  });

  it('a gateway that cannot be reached exits 1 saying where it looked', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const out = await runAuctor(['lrps', '--api', url]);
    expect(out.code).to.equal(1);
    expect(out.stderr).to.match(new RegExp(`^auctor: cannot reach the gateway at ${url.replace(/\./g, '\\.')}: .*ECONNREFUSED`));
  });
});
