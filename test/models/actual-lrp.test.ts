import { expect } from 'chai';
import {
  claimActualLrp, evacuatingCopy, failActualLrp, markSuspect, newUnclaimedActualLrp, promoteSuspect, startActualLrp,
  unclaimActualLrp, validateActualLrp, type ActualLRP,
} from '../../src/models/actual-lrp.js';
import { SEC, T0, buildActualLrp, messageOf } from './builders.js';

const NOW = T0 + SEC;
const K1 = { instance_guid: 'ig-1', cell_id: 'cell-1' };
const K2 = { instance_guid: 'ig-2', cell_id: 'cell-2' };
const NET = { address: '10.0.0.9', ports: [{ container_port: 8080, host_port: 61009 }] };
const TAG = { epoch: 'e', index: 0 };

function value(result: { ok: true; value: ActualLRP } | { ok: false; error: Error }): ActualLRP {
  if (!result.ok) throw result.error;
  return result.value;
}

describe('ActualLRP operations', () => {
  it('creates an UNCLAIMED ORDINARY row that passes validation', () => {
    const row = newUnclaimedActualLrp({ process_guid: 'web', index: 3, domain: 'apps' }, T0, TAG);
    expect(row).to.deep.equal(buildActualLrp({ index: 3, since: T0, modification_tag: TAG }));
    expect(validateActualLrp(row).ok).to.equal(true);
  });

  it('walks UNCLAIMED → CLAIMED → RUNNING, bumping the index each change and clearing placement_error', () => {
    const unclaimed = buildActualLrp({ placement_error: 'insufficient resources: memory', modification_tag: TAG });
    const claimed = value(claimActualLrp(unclaimed, K1, NOW));
    expect([claimed.state, claimed.instance_guid, claimed.cell_id, claimed.placement_error, claimed.since, claimed.modification_tag.index])
      .to.deep.equal(['CLAIMED', 'ig-1', 'cell-1', '', NOW, 1]);
    const running = value(startActualLrp(claimed, K1, NET, NOW + 1, { routable: true, availability_zone: 'z1' }));
    expect([running.state, running.address, running.ports, running.routable, running.availability_zone, running.modification_tag.index])
      .to.deep.equal(['RUNNING', '10.0.0.9', NET.ports, true, 'z1', 2]);
    for (const row of [claimed, running]) expect(validateActualLrp(row).ok).to.equal(true);
  });

  it('a repeated claim or start by the same instance changes nothing', () => {
    const claimed = buildActualLrp({ state: 'CLAIMED' });
    expect(value(claimActualLrp(claimed, K1, NOW))).to.equal(claimed);
    const running = buildActualLrp({ state: 'RUNNING' });
    expect(value(startActualLrp(running, K1, { address: running.address, ports: running.ports }, NOW))).to.equal(running);
  });

  it('refuses a claim or start by another instance', () => {
    expect(messageOf(claimActualLrp(buildActualLrp({ state: 'CLAIMED' }), K2, NOW))).to.equal('cannot transition actual lrp from CLAIMED to CLAIMED: instance key differs');
    expect(messageOf(startActualLrp(buildActualLrp({ state: 'RUNNING' }), K2, NET, NOW))).to.equal('cannot transition actual lrp from RUNNING to RUNNING: instance key differs');
    expect(messageOf(startActualLrp(buildActualLrp(), { instance_guid: '', cell_id: '' }, NET, NOW))).to.equal('invalid field: actual_lrp_instance_key');
  });

  it('records a placement error only while UNCLAIMED, cut to 1024 bytes', () => {
    const failed = value(failActualLrp(buildActualLrp(), 'e'.repeat(1030), NOW));
    expect([failed.state, failed.placement_error.length, failed.since]).to.deep.equal(['UNCLAIMED', 1024, NOW]);
    expect(messageOf(failActualLrp(buildActualLrp({ state: 'RUNNING' }), 'x', NOW))).to.equal('cannot fail actual lrp in state RUNNING');
  });

  it('unclaims for a new placement, keeping the crash count', () => {
    const crashed = buildActualLrp({ state: 'CRASHED', crash_count: 4, crash_reason: 'boom' });
    const unclaimed = value(unclaimActualLrp(crashed, NOW));
    expect([unclaimed.state, unclaimed.crash_count, unclaimed.crash_reason, unclaimed.since]).to.deep.equal(['UNCLAIMED', 4, 'boom', NOW]);
    const fromRunning = value(unclaimActualLrp(buildActualLrp({ state: 'RUNNING', routable: true }), NOW));
    expect([fromRunning.instance_guid, fromRunning.cell_id, fromRunning.address, fromRunning.ports, 'routable' in fromRunning]).to.deep.equal(['', '', '', [], false]);
    expect(validateActualLrp(fromRunning).ok).to.equal(true);
  });

  it('marks suspect, promotes, and copies for evacuation only from the right presence and state', () => {
    const running = buildActualLrp({ state: 'RUNNING' });
    const suspect = value(markSuspect(running));
    expect([suspect.presence, suspect.state, suspect.cell_id]).to.deep.equal(['SUSPECT', 'RUNNING', 'cell-1']);
    expect(value(promoteSuspect(suspect)).presence).to.equal('ORDINARY');
    expect(value(evacuatingCopy(running)).presence).to.equal('EVACUATING');
    expect(messageOf(markSuspect(buildActualLrp()))).to.equal('cannot mark actual lrp suspect in state UNCLAIMED (ORDINARY)');
    expect(messageOf(markSuspect(suspect))).to.equal('cannot mark actual lrp suspect in state RUNNING (SUSPECT)');
    expect(messageOf(promoteSuspect(running))).to.equal('cannot promote actual lrp with presence ORDINARY');
    expect(messageOf(evacuatingCopy(buildActualLrp({ state: 'CLAIMED' })))).to.equal('cannot evacuate actual lrp in state CLAIMED (ORDINARY)');
  });

  describe('per-state invariants (ActualLRP.Validate)', () => {
    const table: [string, Partial<ActualLRP>, string][] = [
      ['UNCLAIMED with a key', { state: 'UNCLAIMED', ...K1 }, 'UNCLAIMED has an instance key'],
      ['UNCLAIMED suspect', { state: 'UNCLAIMED', presence: 'SUSPECT' }, 'UNCLAIMED must be ORDINARY'],
      ['UNCLAIMED with a placement error', { state: 'UNCLAIMED', placement_error: 'x' }, 'ok'],
      ['CLAIMED without a key', { state: 'CLAIMED', instance_guid: '', cell_id: '' }, 'CLAIMED needs an instance key'],
      ['CLAIMED with net info', { state: 'CLAIMED', address: '10.0.0.1' }, 'CLAIMED has net info'],
      ['CLAIMED with a placement error', { state: 'CLAIMED', placement_error: 'x' }, 'CLAIMED has a placement error'],
      ['RUNNING without net info', { state: 'RUNNING', address: '' }, 'RUNNING needs net info'],
      ['RUNNING without a key', { state: 'RUNNING', instance_guid: '', cell_id: '' }, 'RUNNING needs an instance key'],
      ['CRASHED with a key', { state: 'CRASHED', ...K1 }, 'CRASHED has an instance key'],
      ['CRASHED suspect', { state: 'CRASHED', presence: 'SUSPECT' }, 'ok'],
      ['since 0', { since: 0 }, 'since must be set'],
    ];
    for (const [name, overrides, expected] of table) {
      it(`${name}: ${expected}`, () => {
        const message = messageOf(validateActualLrp(buildActualLrp(overrides)));
        expect(message).to.equal(expected === 'ok' ? 'ok' : `invalid actual lrp web/0: ${expected}`);
      });
    }
  });
});
