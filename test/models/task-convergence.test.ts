import { expect } from 'chai';
import { DEFAULT_TASK_CONVERGENCE_SETTINGS, planTaskConvergence, type TaskConvergencePlan } from '../../src/models/convergence.js';
import type { Task } from '../../src/models/task.js';
import { MIN, SEC, T0, buildTask } from './builders.js';

const NOW = T0 + 3600 * SEC;
const CB = 'http://127.0.0.1:9000/cb';
const task = (overrides: Partial<Task>) => buildTask({ created_at: NOW - SEC, updated_at: NOW - SEC, ...overrides });
const completed = (overrides: Partial<Task>) => task({ state: 'COMPLETED', failed: false, first_completed_at: NOW - SEC, ...overrides });

function summary(p: TaskConvergencePlan): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (p.fail.length) out['fail'] = p.fail.map((f) => `${f.task.task_guid}: ${f.reason}`);
  for (const name of ['reauctionPending', 'demoteResolving', 'deleteCompleted', 'resubmitCallbacks'] as const) {
    if (p[name].length) out[name] = p[name].map((t) => t.task_guid);
  }
  return out;
}

describe('Task convergence', () => {
  it('has BBS’s defaults', () => {
    expect(DEFAULT_TASK_CONVERGENCE_SETTINGS).to.deep.equal({ expirePendingTaskMs: 1800000, kickTaskMs: 30000, completedTaskTtlMs: 120000 });
  });

  const table: [string, Partial<Task>, Record<string, string[]>][] = [
    ['PENDING, created 30 min ago exactly: re-auction, not expired', { state: 'PENDING', created_at: NOW - 30 * MIN, updated_at: NOW - 31 * SEC }, { reauctionPending: ['t'] }],
    ['PENDING, created 30 min + 1 ns ago: fail', { state: 'PENDING', created_at: NOW - 30 * MIN - 1, updated_at: NOW - 31 * SEC }, { fail: ['t: not started within time limit'] }],
    ['PENDING, idle 30 s + 1 ns: re-auction', { state: 'PENDING', updated_at: NOW - 30 * SEC - 1 }, { reauctionPending: ['t'] }],
    ['PENDING, idle 30 s exactly (just desired or rejected): leave to its auction', { state: 'PENDING', updated_at: NOW - 30 * SEC }, {}],
    ['RUNNING on a present cell: nothing', { state: 'RUNNING', cell_id: 'cell-1', updated_at: 0 }, {}],
    ['RUNNING on a missing cell: fail', { state: 'RUNNING', cell_id: 'gone' }, { fail: ['t: cell disappeared before completion'] }],
    ['RESOLVING, updated 30 s ago exactly: leave it', { state: 'RESOLVING', first_completed_at: NOW - 40 * SEC, updated_at: NOW - 30 * SEC }, {}],
    ['RESOLVING, not updated for 30 s + 1 ns, no callback: back to COMPLETED', { state: 'RESOLVING', first_completed_at: NOW - 40 * SEC, updated_at: NOW - 30 * SEC - 1 }, { demoteResolving: ['t'] }],
    ['RESOLVING, stale, with a callback: back to COMPLETED and resubmit', { state: 'RESOLVING', completion_callback_url: CB, first_completed_at: NOW - 40 * SEC, updated_at: NOW - 31 * SEC }, { demoteResolving: ['t'], resubmitCallbacks: ['t'] }],
    ['RESOLVING, stale, completed over 2 min ago: delete', { state: 'RESOLVING', completion_callback_url: CB, first_completed_at: NOW - 2 * MIN - 1, updated_at: NOW - 31 * SEC }, { deleteCompleted: ['t'] }],
    ['COMPLETED 2 min ago exactly: keep', { state: 'COMPLETED', first_completed_at: NOW - 2 * MIN, updated_at: NOW - 2 * MIN }, {}],
    ['COMPLETED 2 min + 1 ns ago: delete', { state: 'COMPLETED', first_completed_at: NOW - 2 * MIN - 1, updated_at: NOW - 2 * MIN - 1 }, { deleteCompleted: ['t'] }],
    ['COMPLETED, expired, with a callback: delete, no callback', { state: 'COMPLETED', completion_callback_url: CB, first_completed_at: NOW - 3 * MIN, updated_at: NOW - 3 * MIN }, { deleteCompleted: ['t'] }],
    ['COMPLETED with a callback, idle 30 s + 1 ns: resubmit the callback', { state: 'COMPLETED', completion_callback_url: CB, first_completed_at: NOW - 40 * SEC, updated_at: NOW - 30 * SEC - 1 }, { resubmitCallbacks: ['t'] }],
    ['COMPLETED with a callback, idle 30 s exactly: wait', { state: 'COMPLETED', completion_callback_url: CB, first_completed_at: NOW - 40 * SEC, updated_at: NOW - 30 * SEC }, {}],
    ['COMPLETED without a callback, idle: wait for the client', { state: 'COMPLETED', first_completed_at: NOW - 40 * SEC, updated_at: NOW - 40 * SEC }, {}],
  ];
  for (const [name, overrides, expected] of table) {
    it(name, () => {
      const t = overrides.state === 'COMPLETED' ? completed({ task_guid: 't', ...overrides }) : task({ task_guid: 't', ...overrides });
      expect(summary(planTaskConvergence([t], ['cell-1'], NOW))).to.deep.equal(expected);
    });
  }

  it('honours --completed-task-ttl-ms and the other settings', () => {
    const t = completed({ task_guid: 't', first_completed_at: NOW - 10 * SEC - 1 });
    expect(summary(planTaskConvergence([t], [], NOW, { completedTaskTtlMs: 10_000 }))).to.deep.equal({ deleteCompleted: ['t'] });
    expect(summary(planTaskConvergence([t], [], NOW))).to.deep.equal({});
    const p = task({ task_guid: 'p', state: 'PENDING', updated_at: NOW, created_at: NOW - 2 * SEC });
    expect(summary(planTaskConvergence([p], [], NOW, { kickTaskMs: 0 }))).to.deep.equal({});
    expect(summary(planTaskConvergence([p], [], NOW + 1, { kickTaskMs: 0 }))).to.deep.equal({ reauctionPending: ['p'] });
    expect(summary(planTaskConvergence([p], [], NOW, { expirePendingTaskMs: 1000 }))).to.deep.equal({ fail: ['p: not started within time limit'] });
  });

  it('orders by task_guid, expired pending before disappeared cells, and counts', () => {
    const tasks = [
      task({ task_guid: 'r2', state: 'RUNNING', cell_id: 'gone' }),
      task({ task_guid: 'p2', state: 'PENDING', created_at: 0 }),
      task({ task_guid: 'r1', state: 'RUNNING', cell_id: 'gone' }),
      task({ task_guid: 'p1', state: 'PENDING', created_at: 0 }),
      task({ task_guid: 'p3', state: 'PENDING', updated_at: 0 }),
      completed({ task_guid: 'c1', first_completed_at: 0 }),
      completed({ task_guid: 'c2', completion_callback_url: CB, updated_at: 0 }),
      task({ task_guid: 'z', state: 'RESOLVING' }),
    ];
    const p = planTaskConvergence(tasks, ['cell-1'], NOW);
    expect(summary(p)).to.deep.equal({
      fail: ['p1: not started within time limit', 'p2: not started within time limit', 'r1: cell disappeared before completion', 'r2: cell disappeared before completion'],
      reauctionPending: ['p3'],
      deleteCompleted: ['c1'],
      resubmitCallbacks: ['c2'],
    });
    expect(p.counts).to.deep.equal({ pending: 3, running: 2, completed: 2, resolving: 1, kicked: 6, pruned: 1 });
  });
});
