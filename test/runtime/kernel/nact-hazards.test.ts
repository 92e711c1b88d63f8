/**
 * Each nact 7.6.2 hazard (ACTORS.md 0.4) runs twice in its own process: on bare nact, where the
 * test shows the hazard is real, and with the kernel, where it must be contained.
 */
import { expect } from 'chai';
import { runFixture, type Finished } from '../../support/child-process.js';

const run = (hazard: string, mode: 'bare' | 'shielded') => runFixture('nact-hazards', [hazard, mode]);
const result = (f: Finished) => JSON.parse(f.stdout.trim().split('\n').pop()!);

describe('nact hazards', function () {
  this.timeout(20_000);

  it('a throwing onCrash kills a bare process; the kernel contains it and reports it', async () => {
    const bare = await run('policy-throws', 'bare');
    expect(bare.code, 'bare nact exit code').to.equal(1);
    expect(bare.stderr).to.contain('policy failed');

    const shielded = await run('policy-throws', 'shielded');
    expect(shielded.code).to.equal(0);
    expect(result(shielded)).to.deep.equal({ survived: true });
    expect(shielded.stderr).to.contain('actor.policy-failed');
  });

  it('escalation from an actor stopped mid-handler kills a bare process; the kernel drops the fault', async () => {
    const bare = await run('escalate-after-stop', 'bare');
    expect(bare.code).to.equal(1);
    expect(bare.stderr).to.contain("Cannot read properties of undefined (reading 'handleFault')");

    const shielded = await run('escalate-after-stop', 'shielded');
    expect(shielded.code).to.equal(0);
    expect(result(shielded)).to.deep.equal({ survived: true });
    expect(shielded.stderr).to.contain('actor.fault-after-stop');
  });

  it('colliding query temp-ref ids lose a reply on bare nact; the kernel delivers both', async () => {
    expect(result(await run('temp-ref-collision', 'bare')).replies).to.include('lost: Query Timeout');
    expect(result(await run('temp-ref-collision', 'shielded')).replies).to.deep.equal(['first', 'second']);
  });

  it('a 30-day shutdownAfter stops a bare actor at once; with the kernel it stays alive', async () => {
    expect(result(await run('timeout-wrap', 'bare')).reply).to.match(/^gone/);
    expect(result(await run('timeout-wrap', 'shielded')).reply).to.equal('alive: 42');
  });

  it("bare spawnStateless ignores its onCrash; the kernel's consults it", async () => {
    expect(result(await run('stateless-oncrash', 'bare')).calls).to.deep.equal(['boom', 'after']);
    // the policy said stop: the message after the failure is never handled
    expect(result(await run('stateless-oncrash', 'shielded')).calls).to.deep.equal(['boom', 'policy']);
  });

  it('a child that escalated and was resumed is stuck on bare nact; with the kernel it goes on', async () => {
    expect(result(await run('escalate-then-resume', 'bare')).handled).to.deep.equal(['a']);
    expect(result(await run('escalate-then-resume', 'shielded')).handled).to.deep.equal(['a', 'b']);
  });

  it('stopping a parent or the system leaves children running on bare nact; the kernel stops them', async () => {
    expect(result(await run('stop-leaves-children', 'bare'))).to.deep.equal({ afterParentStop: ['a'], afterSystemStop: ['a'] });
    expect(result(await run('stop-leaves-children', 'shielded'))).to.deep.equal({
      afterParentStop: ['a', 'a-child'],
      afterSystemStop: ['a', 'a-child', 'b'],
    });
  });

  it('an idle actor keeps its last message (through its Immediate) on bare nact; the kernel drops it', async () => {
    expect(result(await run('idle-keeps-message', 'bare'))).to.deep.equal({ keepsImmediate: true });
    expect(result(await run('idle-keeps-message', 'shielded'))).to.deep.equal({ keepsImmediate: false });
  });
});
