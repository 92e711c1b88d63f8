import { expect } from 'chai';
import { runAction } from '../../../src/executor/actions/index.js';
import type { Container } from '../../../src/garden/backend.js';
import { FakeBackend, type FakeContainer } from '../../../src/garden/fake/fake-backend.js';
import { Actions } from '../../../src/models/actions.js';
import { eventually } from '../../support/eventually.js';
import { FakeClock } from '../../support/fake-clock.js';
import { outputSink, processGarden, sh, type ProcessGarden } from '../../support/garden.js';

const app = (path: string) => Actions.run({ path, user: 'vcap' });

describe('timeout, try and emit_progress steps', function () {
  this.timeout(20_000);
  let clock: FakeClock;
  let backend: FakeBackend;
  let container: FakeContainer;
  beforeEach(async () => {
    clock = new FakeClock();
    backend = new FakeBackend({ clock });
    container = (await backend.create({ handle: 'c', rootfs: 'preloaded:host' })) as FakeContainer;
  });

  describe('timeout', () => {
    it('cancels the inner action when the time is up and fails with `exceeded 500ms timeout`', async () => {
      const running = runAction(Actions.timeout(app('slow'), 500), { container, clock });
      await eventually(() => expect(container.runs).to.have.length(1));
      await clock.advance(499);
      expect(container.lastRun!.signals).to.deep.equal([]);
      await clock.advance(1);
      expect(await running).to.deep.equal({ ok: false, error: 'exceeded 500ms timeout' });
      expect(container.lastRun!.signals).to.deep.equal(['TERM']);
    });

    it('prints the duration as Go does: `exceeded 3s timeout`, `exceeded 1m30s timeout`', async () => {
      for (const [ms, text] of [[3000, 'exceeded 3s timeout'], [90_000, 'exceeded 1m30s timeout']] as const) {
        const running = runAction(Actions.timeout(app('slow'), ms), { container, clock });
        await eventually(() => expect(container.running()).to.have.length(1));
        await clock.advance(ms);
        expect(await running).to.deep.equal({ ok: false, error: text });
      }
    });

    it('is the inner result when the inner action ends in time', async () => {
      backend.onRun(() => ({ exitCode: 2, exitAfterMs: 100 }));
      const running = runAction(Actions.timeout(app('quick'), 500), { container, clock });
      await eventually(() => expect(container.runs).to.have.length(1));
      await clock.advance(100);
      expect(await running).to.deep.include({ ok: false, error: 'Exited with status 2' });
      expect(clock.waiting).to.equal(0); // its timer is gone too
    });

    it('waits, after the time is up, for the inner action to stop (TERM, then KILL after the grace)', async () => {
      backend.onRun(() => ({ ignoreTerm: true }));
      let result: unknown;
      void runAction(Actions.timeout(app('stubborn'), 500), { container, clock, gracefulStopMs: 1000 }).then((r) => (result = r));
      await eventually(() => expect(container.runs).to.have.length(1));
      await clock.advance(500);
      expect(container.lastRun!.signals).to.deep.equal(['TERM']);
      await clock.advance(999);
      expect(result).to.equal(undefined);
      await clock.advance(1);
      await eventually(() => expect(result).to.deep.equal({ ok: false, error: 'exceeded 500ms timeout' }));
      expect(container.lastRun!.signals).to.deep.equal(['TERM', 'KILL']);
    });
  });

  describe('try', () => {
    it('succeeds whatever the inner action did', async () => {
      backend.onRun(() => ({ exitCode: 1 }));
      expect(await runAction(Actions.try(app('failing')), { container })).to.deep.equal({ ok: true });
    });

    it('is cancelled when cancelled', async () => {
      const controller = new AbortController();
      const running = runAction(Actions.try(app('slow')), { container }, controller.signal);
      await eventually(() => expect(container.runs).to.have.length(1));
      controller.abort();
      expect(await running).to.deep.equal({ ok: false, error: 'cancelled' });
    });
  });

  describe('emit_progress', () => {
    const progress = { start_message: 'Staging...', success_message: 'Staged', failure_message_prefix: 'Staging failed' };

    it('writes the start message before and the success message after, on stdout', async () => {
      const out = outputSink();
      backend.onRun(() => ({ output: ['compiling'], exitCode: 0 }));
      const result = await runAction(Actions.emitProgress(app('stage'), progress), { container, onOutput: out.onOutput, logSource: 'STG' });
      expect(result).to.deep.equal({ ok: true });
      expect(out.text('stdout')).to.deep.equal(['STG: Staging...', 'STG: compiling', 'STG: Exit status 0', 'STG: Staged']);
    });

    it('writes `<prefix>: <error>` on stderr when the inner action fails, and fails with its error', async () => {
      const out = outputSink();
      backend.onRun(() => ({ exitCode: 3 }));
      const result = await runAction(Actions.emitProgress(app('stage'), progress), { container, onOutput: out.onOutput });
      expect(result).to.deep.include({ ok: false, error: 'Exited with status 3' });
      expect(out.text('stderr')).to.deep.equal(['APP: Staging failed: Exited with status 3']);
      expect(out.text('stdout')).to.not.include('APP: Staged');
    });

    it('writes only the messages it has, under its own log_source', async () => {
      const out = outputSink();
      backend.onRun(() => ({ exitCode: 0 }));
      await runAction(Actions.emitProgress(Actions.run({ path: 'x', user: 'vcap', suppress_log_output: true }), { success_message: 'done', log_source: 'LIFECYCLE' }), {
        container,
        onOutput: out.onOutput,
      });
      expect(out.text()).to.deep.equal(['LIFECYCLE: done']);
    });

    it('writes the prefix alone when cancelled (there is no error to tell), as Diego does', async () => {
      const out = outputSink();
      const controller = new AbortController();
      const running = runAction(Actions.emitProgress(app('stage'), progress), { container, onOutput: out.onOutput }, controller.signal);
      await eventually(() => expect(container.runs).to.have.length(1));
      controller.abort();
      expect(await running).to.deep.equal({ ok: false, error: 'cancelled' });
      expect(out.text('stderr')).to.deep.equal(['APP: Staging failed']);
    });
  });

  describe('with real processes', () => {
    let garden: ProcessGarden;
    let real: Container;
    beforeEach(async () => {
      garden = await processGarden();
      real = await garden.container('wrappers');
    });
    afterEach(() => garden.dispose());

    it('timeout stops a sleeping process and fails with `exceeded 300ms timeout`', async () => {
      const began = Date.now();
      expect(await runAction(Actions.timeout(Actions.run(sh('sleep 30')), 300), { container: real })).to.deep.equal({ ok: false, error: 'exceeded 300ms timeout' });
      expect(Date.now() - began).to.be.within(290, 5000);
      expect((await real.info()).processes).to.deep.equal([]);
    });

    it('emit_progress around a failing process', async () => {
      const out = outputSink();
      const result = await runAction(Actions.emitProgress(Actions.run(sh('echo trying; exit 1')), { start_message: 'Starting app', failure_message_prefix: 'Failed to start' }), {
        container: real,
        onOutput: out.onOutput,
      });
      expect(result).to.deep.include({ ok: false, error: 'Exited with status 1' });
      expect(out.text()).to.deep.equal(['APP: Starting app', 'APP: trying', 'APP: Exit status 1', 'APP: Failed to start: Exited with status 1']);
    });
  });
});
