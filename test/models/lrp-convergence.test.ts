import { expect } from 'chai';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import type { CrashPolicy } from '../../src/models/crash-policy.js';
import { lrpStartsOf, planLrpConvergence, type LrpConvergenceInput, type LrpConvergencePlan } from '../../src/models/convergence.js';
import { MS, SEC, T0, buildActualLrp, buildDesiredLrp } from './builders.js';

const NOW = T0 + 3600 * SEC;
const web = (instances: number, domain = 'apps') => buildDesiredLrp({ process_guid: 'web', domain, instances });
const webWith = (crash_policy: CrashPolicy) => buildDesiredLrp({ process_guid: 'web', domain: 'apps', instances: 1, crash_policy });
const row = (index: number, overrides: Partial<ActualLRP> = {}) => buildActualLrp({ index, since: NOW - SEC, ...overrides });
const ids = (rows: ActualLRP[]) => rows.map((r) => `${r.process_guid}/${r.index}:${r.presence}`);

function plan(input: Partial<LrpConvergenceInput>, now = NOW, settings = {}): LrpConvergencePlan {
  return planLrpConvergence({ desiredLrps: [], actualLrps: [], presentCellIds: ['cell-1'], freshDomains: ['apps'], ...input }, now, settings);
}

/** Every non-empty list of the plan, as `name: ids`, so a case also proves nothing else happened. */
function summary(p: LrpConvergencePlan): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const put = (name: string, items: string[]) => {
    if (items.length > 0) out[name] = items;
  };
  put('startMissing', p.startMissing.map((s) => `${s.process_guid}:${s.indices.join(',')}`));
  for (const name of ['retireExtra', 'retireOrphaned', 'reauctionStaleUnclaimed', 'restartCrashed', 'suspectAndReplace', 'unclaimReplacements', 'pruneEvacuating'] as const) {
    put(name, ids(p[name]));
  }
  put('removeSuspects', p.removeSuspects.map((s) => `${ids([s.actual])[0]} ${s.reason}`));
  put('promoteSuspects', p.promoteSuspects.map((s) => `${ids([s.suspect])[0]}${s.replacement ? ` replacing ${ids([s.replacement])[0]}` : ''}`));
  return out;
}

describe('LRP convergence', () => {
  describe('each case', () => {
    const running = (index: number, overrides: Partial<ActualLRP> = {}) => row(index, { state: 'RUNNING', ...overrides });
    const table: [string, Partial<LrpConvergenceInput>, Record<string, string[]>][] = [
      ['all instances running: nothing to do', { desiredLrps: [web(2)], actualLrps: [running(0), running(1)] }, {}],
      ['no rows: start every index', { desiredLrps: [web(3)] }, { startMissing: ['web:0,1,2'] }],
      ['a gap: start only the missing index', { desiredLrps: [web(3)], actualLrps: [running(0), running(2)] }, { startMissing: ['web:1'] }],
      ['0 instances: nothing', { desiredLrps: [web(0)] }, {}],
      ['extra indices in a fresh domain: retire them', { desiredLrps: [web(1)], actualLrps: [running(0), running(1), row(2)] }, { retireExtra: ['web/1:ORDINARY', 'web/2:ORDINARY'] }],
      ['extra indices in a stale domain: keep them', { desiredLrps: [web(1, 'old')], actualLrps: [running(0, { domain: 'old' }), running(1, { domain: 'old' })] }, {}],
      ['orphans in a fresh domain: retire them', { actualLrps: [running(0), row(1, { state: 'CRASHED', crash_count: 3 })] }, { retireOrphaned: ['web/0:ORDINARY', 'web/1:ORDINARY'] }],
      ['orphans in a stale domain: keep them', { actualLrps: [running(0, { domain: 'old' })] }, {}],
      ['UNCLAIMED for 30 s exactly: not yet stale', { desiredLrps: [web(1)], actualLrps: [row(0, { since: NOW - 30 * SEC })] }, {}],
      ['UNCLAIMED for 30 s + 1 ns: re-auction', { desiredLrps: [web(1)], actualLrps: [row(0, { since: NOW - 30 * SEC - 1, placement_error: 'insufficient resources: memory' })] }, { reauctionStaleUnclaimed: ['web/0:ORDINARY'] }],
      ['stale UNCLAIMED extra index: retired, not re-auctioned', { desiredLrps: [web(1)], actualLrps: [running(0), row(1, { since: 0 })] }, { retireExtra: ['web/1:ORDINARY'] }],
      ['CRASHED count 3 for 30 s: restart', { desiredLrps: [web(1)], actualLrps: [row(0, { state: 'CRASHED', crash_count: 3, since: NOW - 30 * SEC })] }, { restartCrashed: ['web/0:ORDINARY'] }],
      ['CRASHED count 3 for 30 s − 1 ns: wait', { desiredLrps: [web(1)], actualLrps: [row(0, { state: 'CRASHED', crash_count: 3, since: NOW - 30 * SEC + 1 })] }, {}],
      ['CRASHED count 1 (immediate, e.g. a lost auction): restart', { desiredLrps: [web(1)], actualLrps: [row(0, { state: 'CRASHED', crash_count: 1, since: NOW })] }, { restartCrashed: ['web/0:ORDINARY'] }],
      ['CRASHED count 200: never', { desiredLrps: [web(1)], actualLrps: [row(0, { state: 'CRASHED', crash_count: 200, since: 0 })] }, {}],
      ['CRASHED count 3 for 1 s, its LRP\'s backoff_ms 1000: restart', { desiredLrps: [webWith({ backoff_ms: 1000 })], actualLrps: [row(0, { state: 'CRASHED', crash_count: 3, since: NOW - SEC })] }, { restartCrashed: ['web/0:ORDINARY'] }],
      ['CRASHED count 3 for 1 s − 1 ns, its LRP\'s backoff_ms 1000: wait', { desiredLrps: [webWith({ backoff_ms: 1000 })], actualLrps: [row(0, { state: 'CRASHED', crash_count: 3, since: NOW - SEC + 1 })] }, {}],
      ['CRASHED count 3 for an hour, its LRP\'s max_restarts 3: never', { desiredLrps: [webWith({ max_restarts: 3 })], actualLrps: [row(0, { state: 'CRASHED', crash_count: 3, since: NOW - 3600 * SEC })] }, {}],
      ['CRASHED count 1, its LRP\'s max_restarts 0: never', { desiredLrps: [webWith({ max_restarts: 0 })], actualLrps: [row(0, { state: 'CRASHED', crash_count: 1, since: 0 })] }, {}],
      ['CRASHED count 200, its LRP\'s max_restarts 300: due after the node\'s cap', { desiredLrps: [webWith({ max_restarts: 300 })], actualLrps: [row(0, { state: 'CRASHED', crash_count: 200, since: NOW - 960 * SEC })] }, { restartCrashed: ['web/0:ORDINARY'] }],
      ['RUNNING on a missing cell: suspect and replace', { desiredLrps: [web(2)], actualLrps: [running(0, { cell_id: 'gone' }), row(1, { state: 'CLAIMED', cell_id: 'gone', instance_guid: 'ig-2' })] }, { suspectAndReplace: ['web/0:ORDINARY', 'web/1:ORDINARY'] }],
      ['replacement on a missing cell while a suspect exists: unclaim the replacement', { desiredLrps: [web(1)], actualLrps: [running(0, { cell_id: 'gone-2' }), running(0, { presence: 'SUSPECT', cell_id: 'gone-1' })] }, { unclaimReplacements: ['web/0:ORDINARY'] }],
      ['suspect whose replacement runs: remove the suspect', { desiredLrps: [web(1)], actualLrps: [running(0), running(0, { presence: 'SUSPECT', cell_id: 'gone' })] }, { removeSuspects: ['web/0:SUSPECT replaced'] }],
      ['suspect whose replacement is only claimed: keep it', { desiredLrps: [web(1)], actualLrps: [row(0, { state: 'CLAIMED', cell_id: 'cell-1', instance_guid: 'ig-2' }), running(0, { presence: 'SUSPECT', cell_id: 'gone' })] }, {}],
      ['suspect alone (replacement lost): keep it and start a replacement', { desiredLrps: [web(1)], actualLrps: [running(0, { presence: 'SUSPECT', cell_id: 'gone' })] }, { startMissing: ['web:0'] }],
      ['orphaned suspect, even in a stale domain: remove it', { actualLrps: [running(0, { presence: 'SUSPECT', cell_id: 'gone', domain: 'old' })] }, { removeSuspects: ['web/0:SUSPECT orphaned'] }],
      ['suspect of an extra index: remove it', { desiredLrps: [web(1, 'old')], actualLrps: [running(0, { domain: 'old' }), running(1, { presence: 'SUSPECT', cell_id: 'gone', domain: 'old' })] }, { removeSuspects: ['web/1:SUSPECT extra'] }],
      ['suspect whose cell is back: promote it, drop the unstarted replacement', { desiredLrps: [web(1)], actualLrps: [row(0, { since: 0 }), running(0, { presence: 'SUSPECT' })] }, { promoteSuspects: ['web/0:SUSPECT replacing web/0:ORDINARY'] }],
      ['suspect whose cell is back, no replacement row: promote, do not start one', { desiredLrps: [web(1)], actualLrps: [running(0, { presence: 'SUSPECT' })] }, { promoteSuspects: ['web/0:SUSPECT'] }],
      ['evacuating row on a vanished cell: prune it; the ordinary row is unaffected', { desiredLrps: [web(1)], actualLrps: [row(0), running(0, { presence: 'EVACUATING', cell_id: 'gone' })] }, { pruneEvacuating: ['web/0:EVACUATING'] }],
      ['evacuating row on a present cell: keep it', { desiredLrps: [web(1)], actualLrps: [row(0), running(0, { presence: 'EVACUATING' })] }, {}],
      ['evacuating row alone does not fill the index', { desiredLrps: [web(1)], actualLrps: [running(0, { presence: 'EVACUATING' })] }, { startMissing: ['web:0'] }],
    ];
    for (const [name, input, expected] of table) {
      it(name, () => expect(summary(plan(input))).to.deep.equal(expected));
    }
  });

  describe('domain freshness gates only destructive work', () => {
    const input = (fresh: string[]): Partial<LrpConvergenceInput> => ({
      freshDomains: fresh,
      desiredLrps: [web(2)],
      actualLrps: [
        row(0, { state: 'CRASHED', crash_count: 1 }),
        row(3, { state: 'RUNNING' }),
        row(0, { process_guid: 'ghost', state: 'RUNNING' }),
      ],
    });
    const table: [string, string[], Record<string, string[]>][] = [
      ['fresh', ['apps'], { startMissing: ['web:1'], restartCrashed: ['web/0:ORDINARY'], retireExtra: ['web/3:ORDINARY'], retireOrphaned: ['ghost/0:ORDINARY'] }],
      ['not fresh', [], { startMissing: ['web:1'], restartCrashed: ['web/0:ORDINARY'] }],
      ['another domain fresh', ['other'], { startMissing: ['web:1'], restartCrashed: ['web/0:ORDINARY'] }],
    ];
    for (const [name, fresh, expected] of table) {
      it(`${name}: ${Object.keys(expected).join(', ')}`, () => expect(summary(plan(input(fresh)))).to.deep.equal(expected));
    }
  });

  it('honours staleUnclaimedMs and the restart settings', () => {
    const input = { desiredLrps: [web(2)], actualLrps: [row(0, { since: NOW - 5 * SEC }), row(1, { state: 'CRASHED', crash_count: 3, since: NOW - 2 * SEC })] };
    expect(summary(plan(input))).to.deep.equal({});
    expect(summary(plan(input, NOW, { staleUnclaimedMs: 5000 - 1, backoffMs: 2000 }))).to.deep.equal({ reauctionStaleUnclaimed: ['web/0:ORDINARY'], restartCrashed: ['web/1:ORDINARY'] });
    expect(summary(plan(input, NOW, { staleUnclaimedMs: 5000, backoffMs: 2000 + 1 / MS }))).to.deep.equal({});
  });

  it('orders every list by process_guid, then index', () => {
    const desiredLrps = [buildDesiredLrp({ process_guid: 'b', instances: 2 }), buildDesiredLrp({ process_guid: 'a', instances: 1 })];
    const actualLrps = [row(1, { process_guid: 'b', state: 'RUNNING', cell_id: 'gone' }), row(0, { process_guid: 'b', state: 'RUNNING', cell_id: 'gone' }), row(0, { process_guid: 'a', state: 'RUNNING', cell_id: 'gone' })];
    expect(ids(plan({ desiredLrps, actualLrps }).suspectAndReplace)).to.deep.equal(['a/0:ORDINARY', 'b/0:ORDINARY', 'b/1:ORDINARY']);
    expect(plan({ desiredLrps }).startMissing.map((s) => s.process_guid)).to.deep.equal(['a', 'b']);
  });

  it('counts for metrics', () => {
    const p = plan({
      presentCellIds: ['cell-1', 'cell-2'],
      desiredLrps: [web(4), buildDesiredLrp({ process_guid: 'api', instances: 1 })],
      actualLrps: [
        row(0), row(1, { state: 'CLAIMED' }), row(2, { state: 'RUNNING', cell_id: 'gone-a' }), row(3, { state: 'CRASHED', crash_count: 5 }),
        row(5, { state: 'RUNNING' }),
        row(1, { presence: 'SUSPECT', state: 'RUNNING', cell_id: 'gone-b', instance_guid: 'old' }),
        row(0, { process_guid: 'api', state: 'RUNNING', cell_id: 'gone-c' }),
      ],
    });
    expect(p.counts).to.deep.equal({
      desired: 5, missing: 0, extra: 1, unclaimed: 1, claimed: 1, running: 3, crashed: 1, crashingDesired: 1,
      suspect: 1, suspectClaimed: 0, suspectRunning: 1, presentCells: 2, missingCells: 2,
    });
  });

  it('lrpStartsOf gathers every index to auction into one request per LRP', () => {
    const p = plan({
      desiredLrps: [web(5)],
      actualLrps: [row(0, { since: 0 }), row(1, { state: 'RUNNING', cell_id: 'gone' }), row(2, { state: 'CRASHED', crash_count: 1 }), row(3, { state: 'RUNNING' })],
    });
    expect(lrpStartsOf(p)).to.deep.equal([{ process_guid: 'web', domain: 'apps', indices: [0, 1, 2, 4] }]);
  });
});
