import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAction } from '../../../src/executor/actions/index.js';
import type { Container } from '../../../src/garden/backend.js';
import { FakeBackend, type FakeContainer } from '../../../src/garden/fake/fake-backend.js';
import { Actions } from '../../../src/models/actions.js';
import { eventually } from '../../support/eventually.js';
import { alive, outputSink, processGarden, sh, type ProcessGarden } from '../../support/garden.js';

describe('run step', function () {
  this.timeout(20_000);

  describe('with real processes', () => {
    let garden: ProcessGarden;
    let container: Container;
    beforeEach(async () => {
      garden = await processGarden();
      container = await garden.container('run', { env: [{ name: 'OVERRIDE', value: 'B' }, { name: 'KEEP', value: 'lrp' }] });
    });
    afterEach(() => garden.dispose());

    it('succeeds on exit 0 and streams the output tagged with the log source, then `Exit status 0`', async () => {
      const out = outputSink();
      const result = await runAction(Actions.run(sh('echo hello; echo oops >&2')), { container, onOutput: out.onOutput, logSource: 'APP/PROC/WEB/0' });
      expect(result).to.deep.equal({ ok: true });
      expect(out.text('stdout')).to.deep.equal(['APP/PROC/WEB/0: hello', 'APP/PROC/WEB/0: Exit status 0']);
      expect(out.text('stderr')).to.deep.equal(['APP/PROC/WEB/0: oops']);
    });

    it('fails a non-zero exit with `Exited with status N` and carries the exit', async () => {
      const out = outputSink();
      const result = await runAction(Actions.run(sh('exit 3')), { container, onOutput: out.onOutput });
      expect(result).to.deep.equal({ ok: false, error: 'Exited with status 3', exit: { code: 3, oom: false } });
      expect(out.text()).to.deep.equal(['APP: Exit status 3']);
    });

    it("tags lines with the action's log_source over the default", async () => {
      const out = outputSink();
      await runAction(Actions.run({ ...sh('echo hi'), log_source: 'STG' }), { container, onOutput: out.onOutput, logSource: 'APP/PROC/WEB/0' });
      expect(out.text()).to.deep.equal(['STG: hi', 'STG: Exit status 0']);
    });

    it("gives the action's env precedence over the container's", async () => {
      const out = outputSink();
      const run = Actions.run({ ...sh('echo OVERRIDE=$OVERRIDE KEEP=$KEEP'), env: [{ name: 'OVERRIDE', value: 'D' }] });
      await runAction(run, { container, onOutput: out.onOutput });
      expect(out.text()[0]).to.equal('APP: OVERRIDE=D KEEP=lrp');
    });

    it('runs in `dir` with the nofile limit of resource_limits', async () => {
      const out = outputSink();
      const run = Actions.run({ ...sh('pwd; ulimit -n'), dir: '/home/vcap/app', resource_limits: { nofile: 321 } });
      expect(await runAction(run, { container, onOutput: out.onOutput })).to.deep.equal({ ok: true });
      expect(out.lines.map((l) => l.line).slice(0, 2)).to.deep.equal([container.hostPath('/home/vcap/app'), '321']);
    });

    it('drops the output, and the exit line, with suppress_log_output', async () => {
      const out = outputSink();
      const result = await runAction(Actions.run({ ...sh('echo secret; exit 4'), suppress_log_output: true }), { container, onOutput: out.onOutput });
      expect(result).to.deep.include({ ok: false, error: 'Exited with status 4' });
      expect(out.lines).to.deep.equal([]);
    });

    it('cancelled: TERMs the process group, which may exit on its own, and resolves `cancelled`', async () => {
      const out = outputSink();
      const pidFile = join(container.hostPath('/tmp'), 'child.pid');
      const controller = new AbortController();
      const running = runAction(
        Actions.run(sh(`trap 'echo got TERM; exit 7' TERM; sleep 30 & echo $! > ${pidFile}; echo ready; wait`)),
        { container, onOutput: out.onOutput, gracefulStopMs: 10_000 },
        controller.signal,
      );
      await eventually(() => expect(out.text()).to.include('APP: ready'));
      const child = Number(readFileSync(pidFile, 'utf8'));
      const cancelledAt = Date.now();
      controller.abort();
      expect(await running).to.deep.equal({ ok: false, error: 'cancelled' });
      expect(Date.now() - cancelledAt).to.be.below(5000); // far inside the 10 s grace: TERM did it
      expect(out.text()).to.include.members(['APP: got TERM', 'APP: Exit status 7']);
      // the group's TERM reaches the sleep at once, but its exit (and init reaping it) may trail the shell's on a loaded machine
      await eventually(() => expect(alive(child), 'the sleep in the same process group').to.equal(false), { timeout: 3000 });
      expect((await container.info()).processes).to.deep.equal([]);
    });

    it('cancelled: KILLs what ignores TERM once the grace period is over', async () => {
      const out = outputSink();
      const controller = new AbortController();
      const running = runAction(Actions.run(sh("trap '' TERM; echo ready; sleep 30")), { container, onOutput: out.onOutput, gracefulStopMs: 300 }, controller.signal);
      await eventually(() => expect(out.text()).to.include('APP: ready'));
      const cancelledAt = Date.now();
      controller.abort();
      expect(await running).to.deep.equal({ ok: false, error: 'cancelled' });
      expect(Date.now() - cancelledAt).to.be.at.least(290); // timers may round a millisecond early
      expect(out.text()).to.include('APP: Exit status 137 (exceeded 300ms graceful shutdown interval)');
      expect((await container.info()).processes).to.deep.equal([]);
    });
  });

  describe('with the fake backend', () => {
    let backend: FakeBackend;
    let container: FakeContainer;
    beforeEach(async () => {
      backend = new FakeBackend();
      container = (await backend.create({ handle: 'c', rootfs: 'preloaded:host' })) as FakeContainer;
    });

    it('appends ` (out of memory)` when the kernel killed the process for memory', async () => {
      backend.onRun(() => ({ exitCode: 137, oom: true }));
      const out = outputSink();
      const result = await runAction(Actions.run({ path: 'app', user: 'vcap' }), { container, onOutput: out.onOutput });
      expect(result).to.deep.equal({ ok: false, error: 'Exited with status 137 (out of memory)', exit: { code: 137, oom: true } });
      expect(out.text()).to.deep.equal(['APP: Exit status 137 (out of memory)']);
    });

    it('passes path, args, dir, env, user and nofile through to the process spec', async () => {
      backend.onRun(() => ({ exitCode: 0 }));
      const env = [{ name: 'A', value: '1' }];
      await runAction(Actions.run({ path: '/app/start', args: ['-p', '8080'], dir: '/app', env, user: 'vcap', resource_limits: { nofile: 1024 } }), { container });
      expect(container.lastRun!.spec).to.deep.equal({ path: '/app/start', args: ['-p', '8080'], dir: '/app', env, user: 'vcap', limits: { nofile: 1024 } });
    });

    it('fails with the reason when the process cannot be started, and says so in the log', async () => {
      backend.failNextRun(new Error('exec: "app": executable file not found in $PATH'));
      const out = outputSink();
      const result = await runAction(Actions.run({ path: 'app', user: 'vcap' }), { container, onOutput: out.onOutput });
      expect(result).to.deep.equal({ ok: false, error: 'exec: "app": executable file not found in $PATH' });
      expect(out.text()).to.deep.equal(['APP: failed-creating-process: exec: "app": executable file not found in $PATH']);
    });

    it('starts nothing when cancelled before it starts', async () => {
      const controller = new AbortController();
      controller.abort();
      expect(await runAction(Actions.run({ path: 'app', user: 'vcap' }), { container }, controller.signal)).to.deep.equal({ ok: false, error: 'cancelled' });
      expect(container.runs).to.deep.equal([]);
    });

    it('sends TERM, then nothing more, to a process that exits on TERM', async () => {
      const controller = new AbortController();
      const running = runAction(Actions.run({ path: 'app', user: 'vcap' }), { container }, controller.signal);
      await eventually(() => expect(container.runs).to.have.length(1));
      controller.abort();
      expect(await running).to.deep.equal({ ok: false, error: 'cancelled' });
      expect(container.lastRun!.signals).to.deep.equal(['TERM']);
    });
  });
});
