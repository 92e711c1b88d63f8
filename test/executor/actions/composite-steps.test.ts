import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAction } from '../../../src/executor/actions/index.js';
import type { Container } from '../../../src/garden/backend.js';
import { FakeBackend, type FakeContainer } from '../../../src/garden/fake/fake-backend.js';
import { Actions } from '../../../src/models/actions.js';
import { eventually } from '../../support/eventually.js';
import { alive, outputSink, processGarden, sh, type ProcessGarden } from '../../support/garden.js';

const app = (path: string) => Actions.run({ path, user: 'vcap' });

describe('serial, parallel and codependent steps', function () {
  this.timeout(20_000);
  let backend: FakeBackend;
  let container: FakeContainer;
  beforeEach(async () => {
    backend = new FakeBackend();
    container = (await backend.create({ handle: 'c', rootfs: 'preloaded:host' })) as FakeContainer;
  });
  const started = () => container.runs.map((p) => p.spec.path);
  const byPath = (path: string) => container.runs.find((p) => p.spec.path === path)!;

  describe('serial', () => {
    it('runs the actions one after another and succeeds when all do', async () => {
      const running = runAction(Actions.serial([app('one'), app('two'), app('three')]), { container });
      for (const [i, path] of ['one', 'two', 'three'].entries()) {
        await eventually(() => expect(started()).to.have.length(i + 1));
        expect(started()[i]).to.equal(path);
        byPath(path).exit(0);
      }
      expect(await running).to.deep.equal({ ok: true });
    });

    it('stops at the first failure, which is its result', async () => {
      backend.onRun((spec) => ({ exitCode: spec.path === 'two' ? 5 : 0 }));
      const result = await runAction(Actions.serial([app('one'), app('two'), app('three')]), { container });
      expect(result).to.deep.equal({ ok: false, error: 'Exited with status 5', exit: { code: 5, oom: false } });
      expect(started()).to.deep.equal(['one', 'two']);
    });

    it('cancelled, stops the running action and starts no more', async () => {
      const controller = new AbortController();
      const running = runAction(Actions.serial([app('one'), app('two')]), { container }, controller.signal);
      await eventually(() => expect(started()).to.deep.equal(['one']));
      controller.abort();
      expect(await running).to.deep.equal({ ok: false, error: 'cancelled' });
      expect(byPath('one').signals).to.deep.equal(['TERM']);
      expect(started()).to.deep.equal(['one']);
    });
  });

  describe('parallel', () => {
    it('starts all at once and waits for all', async () => {
      const running = runAction(Actions.parallel([app('one'), app('two')]), { container });
      await eventually(() => expect(started()).to.have.members(['one', 'two']));
      byPath('two').exit(0);
      let done = false;
      void running.then(() => (done = true));
      await eventually(() => expect(byPath('two').exited).to.not.equal(undefined));
      expect(done).to.equal(false);
      byPath('one').exit(0);
      expect(await running).to.deep.equal({ ok: true });
    });

    it('does not stop the others when one fails, and fails with its error', async () => {
      const running = runAction(Actions.parallel([app('one'), app('two')]), { container });
      await eventually(() => expect(started()).to.have.length(2));
      byPath('one').exit(1);
      await eventually(() => expect(byPath('one').exited).to.not.equal(undefined));
      expect(byPath('two').signals).to.deep.equal([]);
      byPath('two').exit(0);
      expect(await running).to.deep.equal({ ok: false, error: 'Exited with status 1', exit: { code: 1, oom: false } });
    });

    it("joins several failures with `; ` in the actions' order", async () => {
      const running = runAction(Actions.parallel([app('one'), app('two'), app('three')]), { container });
      await eventually(() => expect(started()).to.have.length(3));
      byPath('three').exit(3);
      byPath('two').exit(0);
      byPath('one').exit(1);
      expect(await running).to.deep.include({ ok: false, error: 'Exited with status 1; Exited with status 3' });
    });

    it('cancelled, cancels every action', async () => {
      const controller = new AbortController();
      const running = runAction(Actions.parallel([app('one'), app('two')]), { container }, controller.signal);
      await eventually(() => expect(started()).to.have.length(2));
      controller.abort();
      expect(await running).to.deep.equal({ ok: false, error: 'cancelled' });
      expect(container.runs.map((p) => p.exited?.code)).to.deep.equal([143, 143]);
    });
  });

  describe('codependent', () => {
    it('cancels the others when the first exits cleanly, and fails with `Codependent step exited`', async () => {
      const running = runAction(Actions.codependent([app('web'), app('sidecar')]), { container });
      await eventually(() => expect(started()).to.have.length(2));
      byPath('sidecar').exit(0);
      expect(await running).to.deep.equal({ ok: false, error: 'Codependent step exited' });
      expect(byPath('web').signals).to.deep.equal(['TERM']);
    });

    it('fails with the error of the first to fail, and cancels the others', async () => {
      const running = runAction(Actions.codependent([app('web'), app('sidecar')]), { container });
      await eventually(() => expect(started()).to.have.length(2));
      byPath('web').exit(2);
      expect(await running).to.deep.equal({ ok: false, error: 'Exited with status 2', exit: { code: 2, oom: false } });
      expect(byPath('sidecar').exited?.code).to.equal(143);
    });

    it('counts a sibling that ends after being cancelled as cancelled, whatever its exit code', async () => {
      backend.onRun((spec) => (spec.path === 'stubborn' ? { ignoreTerm: true } : undefined));
      const running = runAction(Actions.codependent([app('web'), app('stubborn')]), { container, gracefulStopMs: 10_000 });
      await eventually(() => expect(started()).to.have.length(2));
      byPath('web').exit(0);
      await eventually(() => expect(byPath('stubborn').signals).to.deep.equal(['TERM']));
      byPath('stubborn').exit(3); // it ended on its own before the KILL: cancelled all the same
      expect(await running).to.deep.equal({ ok: false, error: 'Codependent step exited' });
    });

    it('cancelled, cancels every action', async () => {
      const controller = new AbortController();
      const running = runAction(Actions.codependent([app('one'), app('two')]), { container }, controller.signal);
      await eventually(() => expect(started()).to.have.length(2));
      controller.abort();
      expect(await running).to.deep.equal({ ok: false, error: 'cancelled' });
    });
  });

  describe('with real processes', () => {
    let garden: ProcessGarden;
    let real: Container;
    beforeEach(async () => {
      garden = await processGarden();
      real = await garden.container('composite');
    });
    afterEach(() => garden.dispose());

    it('codependent: a process exiting 0 stops a long sleep at once', async () => {
      const pidFile = join(real.hostPath('/tmp'), 'sleep.pid');
      const out = outputSink();
      const began = Date.now();
      const result = await runAction(
        Actions.codependent([
          Actions.run(sh(`echo $$ > ${pidFile}; exec sleep 30`)),
          Actions.run({ ...sh(`while [ ! -s ${pidFile} ]; do sleep 0.05; done; echo done`), log_source: 'SIDECAR' }),
        ]),
        { container: real, onOutput: out.onOutput },
      );
      expect(result).to.deep.equal({ ok: false, error: 'Codependent step exited' });
      expect(Date.now() - began).to.be.below(5000);
      expect(alive(Number(readFileSync(pidFile, 'utf8')))).to.equal(false);
      expect((await real.info()).processes).to.deep.equal([]);
      expect(out.text()).to.include.members(['SIDECAR: done', 'SIDECAR: Exit status 0', 'APP: Exit status 143']);
    });

    it('serial: runs in order and stops at the first failure', async () => {
      const out = outputSink();
      const result = await runAction(Actions.serial([Actions.run(sh('echo first')), Actions.run(sh('exit 9')), Actions.run(sh('echo never'))]), { container: real, onOutput: out.onOutput });
      expect(result).to.deep.include({ ok: false, error: 'Exited with status 9' });
      expect(out.text()).to.deep.equal(['APP: first', 'APP: Exit status 0', 'APP: Exit status 9']);
    });
  });
});
