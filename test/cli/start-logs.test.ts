/**
 * What `auctor start` tells the person running it: readable lines at a terminal (JSON for
 * programs), how many containers it leaves running when it stops, and a warning when a secret
 * was given where `ps` shows it.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { chooseLogFormat } from '../../src/cli/start-command.js';
import { findOnPath } from '../../src/garden/runc/runc-cli.js';
import { finished } from '../support/child-process.js';
import { eventually } from '../support/eventually.js';
import { auctorBin, http, runAuctor, startNode, type LogLine, type NodeProcess } from '../support/gateway-node.js';
import { tempDir } from '../support/temp-dir.js';

const LOOPBACK = ['--api', '127.0.0.1:0', '--router', '127.0.0.1:0', '--listen', '127.0.0.1:0'];
const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;
// colours and the terminal's carriage returns, so the text can be read as lines
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, '');

/**
 * `auctor start ARGS` on a pseudo-terminal of its own (util-linux `script`), as when a person
 * runs it: `press(text)` types into the terminal (`\x03` is Ctrl-C).
 */
function startOnTerminal(args: string[]) {
  const command = ['exec', process.execPath, auctorBin, 'start', ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  const done = finished(child, 20_000);
  return {
    output: () => plain(output),
    press: (text: string) => child.stdin!.write(text),
    done,
  };
}

describe('auctor start: what its log tells a person', function () {
  this.timeout(30_000);

  describe('the log format', () => {
    it('is pretty on a terminal and JSON otherwise, unless --log-format says which', () => {
      expect(chooseLogFormat(undefined, true)).to.equal('pretty');
      expect(chooseLogFormat(undefined, false)).to.equal('json');
      expect(chooseLogFormat('json', true)).to.equal('json');
      expect(chooseLogFormat('pretty', false)).to.equal('pretty');
    });

    it('refuses an unknown --log-format or AUCTOR_LOG_FORMAT, naming the field', async () => {
      const bad = await runAuctor(['start', '--log-format', 'xml']);
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.contain('invalid field: log-format: "xml" is not one of pretty, json');
      const badEnv = await runAuctor(['start'], { env: { AUCTOR_LOG_FORMAT: 'yaml' } });
      expect(badEnv.code).to.equal(2);
      expect(badEnv.stderr).to.contain('invalid field: log-format: "yaml"');
    });

    describe('on a terminal', function () {
      before(function () {
        // skipped only where util-linux's `script` is missing (Debian has it in bsdutils, always installed)
        if (!findOnPath('script')) {
          console.log('      skipping: no `script` command to give auctor a terminal (apt-get install bsdutils)');
          this.skip();
        }
      });

      it('prints readable lines, and on Ctrl-C says how many containers it leaves running', async () => {
        const dir = tempDir();
        try {
          const node = startOnTerminal([...LOOPBACK, '--data', dir.path, '--backend', 'fake', '--name', 'tty-node']);
          await eventually(() => expect(node.output()).to.contain('auctor.started'), { timeout: 15_000, interval: 50 });
          node.press('\x03');
          const result = await node.done;
          expect(result.code, node.output()).to.equal(0);
          const lines = node.output().split('\n').filter(Boolean);
          const started = lines.find((l) => l.includes('auctor.started'))!;
          expect(started).to.match(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: tty-node auctor\.started \{"roles":\["control","cell"\]/);
          expect(lines.find((l) => l.includes('auctor.stopping'))).to.contain('"signal":"SIGINT"');
          expect(lines.find((l) => l.includes('auctor.stopped'))).to.contain('"containers_left_running":0');
          expect(lines.filter((l) => l.startsWith('{'))).to.deep.equal([]);
        } finally {
          dir.remove();
        }
      });

      it('prints JSON lines with --log-format json', async () => {
        const dir = tempDir();
        try {
          const node = startOnTerminal([...LOOPBACK, '--data', dir.path, '--backend', 'fake', '--log-format', 'json']);
          await eventually(() => expect(node.output()).to.contain('auctor.started'), { timeout: 15_000, interval: 50 });
          node.press('\x03');
          expect((await node.done).code, node.output()).to.equal(0);
          // the terminal echoes ^C on the line it interrupts
          const lines = node.output().replace('^C', '').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);
          expect(lines.map((l) => l.msg)).to.include.members(['auctor.started', 'auctor.stopping', 'auctor.stopped']);
        } finally {
          dir.remove();
        }
      });
    });
  });

  describe('stopping', () => {
    it('on SIGTERM after an LRP was desired, logs how many containers it leaves running for the next start', async () => {
      const dir = tempDir();
      let node: NodeProcess | undefined;
      try {
        node = await startNode(dir.path, ['--backend', 'fake', '--router', 'off']);
        const lrp = { process_guid: 'web', domain: 'apps', rootfs: 'preloaded:host', instances: 2, action: { run: { path: 'sleep', args: ['100'], user: 'vcap' } } };
        expect((await http(node.url, 'POST', '/v1/desired_lrps', lrp)).status).to.equal(201);
        const url = node.url;
        await eventually(async () => {
          const rows = (await http(url, 'GET', '/v1/actual_lrps?process_guid=web')).json as Array<{ state: string }>;
          expect(rows.map((r) => r.state)).to.deep.equal(['RUNNING', 'RUNNING']);
        }, { timeout: 15_000, interval: 100 });
        expect(await node.stop()).to.equal(0);
        const stopped = await node.waitForLog('auctor.stopped');
        expect(stopped).to.include({ containers_left_running: 2 });
        expect(stopped.note).to.be.a('string').and.contain('next start');
      } finally {
        await node?.stop();
        dir.remove();
      }
    });
  });

  describe('secrets on the command line', () => {
    const warnings = (node: NodeProcess) => node.logs.filter((l) => l.msg === 'auctor.token-on-command-line');

    it('warns once per secret given as an argument, naming the env variable to use, never the secret', async () => {
      const dir = tempDir();
      let node: NodeProcess | undefined;
      try {
        node = await startNode(dir.path, ['--backend', 'fake', '--router', 'off', '--api-token', 'tok-argv-1', '--cluster-secret', 'sec-argv-1']);
        expect(warnings(node).map((l) => [l.level, l.flag, l.env])).to.deep.equal([
          [40, '--api-token', 'AUCTOR_API_TOKEN'],
          [40, '--cluster-secret', 'AUCTOR_CLUSTER_SECRET'],
        ]);
        expect(node.output()).not.to.contain('tok-argv-1').and.not.to.contain('sec-argv-1');
      } finally {
        expect(await node?.stop()).to.equal(0);
        dir.remove();
      }
    });

    it('says nothing when they come from AUCTOR_API_TOKEN and AUCTOR_CLUSTER_SECRET, and uses them', async () => {
      const dir = tempDir();
      let node: NodeProcess | undefined;
      try {
        node = await startNode(dir.path, ['--backend', 'fake', '--router', 'off'], { env: { AUCTOR_API_TOKEN: 'tok-env-1', AUCTOR_CLUSTER_SECRET: 'sec-env-1' } });
        expect(warnings(node)).to.deep.equal([]);
        expect((await http(node.url, 'GET', '/v1/desired_lrps')).status).to.equal(401);
        expect((await http(node.url, 'GET', '/v1/desired_lrps', undefined, { authorization: 'Bearer tok-env-1' })).status).to.equal(200);
      } finally {
        expect(await node?.stop()).to.equal(0);
        dir.remove();
      }
    });
  });
});
