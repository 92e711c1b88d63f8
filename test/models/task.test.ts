import { expect } from 'chai';
import {
  DEFAULT_TASK_RETRIES, MAX_TASK_RESULT_BYTES, TASK_DEFAULTS, cancelTask, checkTaskDeletable, completeTask, demoteResolvingTask,
  desireTask, failTask, rejectTask, resolvingTask, startTask, validateTask, type Task, type TaskState,
} from '../../src/models/task.js';
import { SEC, T0, buildTask, codeOf, messageOf, taskRequest } from './builders.js';

const NOW = T0 + 10 * SEC;
const STATES: TaskState[] = ['PENDING', 'RUNNING', 'COMPLETED', 'RESOLVING'];
const inState = (state: TaskState): Task => buildTask({ state, cell_id: state === 'RUNNING' ? 'cell-1' : '' });

describe('Task validation', () => {
  const GUID = 'invalid field: task_guid: must match ^[a-zA-Z0-9_-]+$';
  const table: [string, Record<string, unknown>, string][] = [
    ['a minimal task', {}, 'ok'],
    ['task_guid missing', { task_guid: undefined }, 'invalid field: task_guid'],
    ['task_guid "abc def"', { task_guid: 'abc def' }, GUID],
    ['task_guid "abc/def"', { task_guid: 'abc/def' }, GUID],
    ['task_guid "abc,def"', { task_guid: 'abc,def' }, GUID],
    ['task_guid "abc.def"', { task_guid: 'abc.def' }, GUID],
    ['task_guid "abc∆def"', { task_guid: 'abc∆def' }, GUID],
    ['domain missing', { domain: undefined }, 'invalid field: domain'],
    ['rootfs ploop', { rootfs: 'ploop' }, 'invalid field: rootfs: must be a URL with a scheme'],
    ['action missing', { action: undefined }, 'invalid field: action'],
    ['action run without user', { action: { run: { path: 'p' } } }, 'invalid field: action.run.user'],
    ['memory_mb negative', { memory_mb: -1 }, 'invalid field: memory_mb: must be in 0..1048576, got -1'],
    ['disk_mb negative', { disk_mb: -1 }, 'invalid field: disk_mb: must be in 0..1048576, got -1'],
    ['max_pids negative', { max_pids: -1 }, 'invalid field: max_pids: must be in 0..4194304, got -1'],
    ['cpu_weight 101', { cpu_weight: 101 }, 'invalid field: cpu_weight: must be in 0..100, got 101'],
    ['result_file a number', { result_file: 3 }, 'invalid field: result_file'],
    ['result_file a path', { result_file: '/tmp/result' }, 'ok'],
    ['completion_callback_url http', { completion_callback_url: 'http://127.0.0.1:9000/done' }, 'ok'],
    ['completion_callback_url https', { completion_callback_url: 'https://example.com/cb' }, 'ok'],
    ['completion_callback_url ftp', { completion_callback_url: 'ftp://example.com/cb' }, 'invalid field: completion_callback_url: must be an http or https URL'],
    ['completion_callback_url not a URL', { completion_callback_url: 'not a url' }, 'invalid field: completion_callback_url: must be an http or https URL'],
    ['annotation 10240 bytes', { annotation: 'a'.repeat(10240) }, 'ok'],
    ['annotation 10241 bytes', { annotation: 'a'.repeat(10241) }, 'invalid field: annotation: 10241 bytes, at most 10240'],
    ['env without a name', { env: [{ value: 'v' }] }, 'invalid field: env[0].name'],
    ['placement_tags with a number', { placement_tags: [1] }, 'invalid field: placement_tags[0]'],
  ];
  for (const [name, overrides, expected] of table) {
    it(`${name}: ${expected}`, () => expect(messageOf(validateTask(taskRequest(overrides)))).to.equal(expected));
  }

  it('stores a PENDING task with defaults, created_at = updated_at = now, ignoring server-set fields', () => {
    const result = desireTask(taskRequest({ state: 'COMPLETED', failed: true, rejection_count: 9 }), NOW);
    expect(result.ok && result.value).to.deep.equal(buildTask({ action: { run: { path: '/bin/echo', args: ['hi'], user: 'vcap' } }, created_at: NOW, updated_at: NOW }));
    expect(TASK_DEFAULTS).to.deep.equal({ env: [], memory_mb: 0, disk_mb: 0, max_pids: 0, cpu_weight: 0, privileged: false, result_file: '', placement_tags: [] });
  });
});

describe('Task lifecycle', () => {
  describe('startTask', () => {
    it('PENDING → RUNNING on the cell, updated_at = now', () => {
      const result = startTask(inState('PENDING'), 'cell-1', NOW);
      expect(result.ok && result.value).to.deep.equal({ task: buildTask({ state: 'RUNNING', cell_id: 'cell-1', updated_at: NOW }), shouldStart: true });
    });
    it('RUNNING on the same cell: unchanged, shouldStart false', () => {
      const task = inState('RUNNING');
      const result = startTask(task, 'cell-1', NOW);
      expect(result.ok && result.value.shouldStart).to.equal(false);
      expect(result.ok && result.value.task).to.equal(task);
    });
    const table: [TaskState, string, string][] = [
      ['RUNNING', 'cell-2', 'cannot transition task from RUNNING to RUNNING'],
      ['COMPLETED', 'cell-1', 'cannot transition task from COMPLETED to RUNNING'],
      ['RESOLVING', 'cell-1', 'cannot transition task from RESOLVING to RUNNING'],
    ];
    for (const [state, cell, message] of table) {
      it(`${state} started by ${cell}: ${message}`, () => {
        const result = startTask(inState(state), cell, NOW);
        expect([codeOf(result), messageOf(result)]).to.deep.equal(['InvalidStateTransition', message]);
      });
    }
  });

  describe('completeTask', () => {
    it('RUNNING → COMPLETED: result kept on success, cell cleared, first_completed_at = now', () => {
      const result = completeTask(inState('RUNNING'), 'cell-1', { failed: false, result: 'out' }, NOW);
      expect(result.ok && result.value).to.deep.equal(buildTask({ state: 'COMPLETED', result: 'out', updated_at: NOW, first_completed_at: NOW }));
    });
    it('result: 10240 bytes kept whole, 10241 cut to the first 10240', () => {
      const keep = completeTask(inState('RUNNING'), 'cell-1', { failed: false, result: 'r'.repeat(10240) }, NOW);
      const cut = completeTask(inState('RUNNING'), 'cell-1', { failed: false, result: 'r'.repeat(10240) + 'X' }, NOW);
      expect(MAX_TASK_RESULT_BYTES).to.equal(10240);
      expect(keep.ok && keep.value.result).to.equal('r'.repeat(10240));
      expect(cut.ok && cut.value.result).to.equal('r'.repeat(10240));
    });
    it('failure: reason cut to 1024 bytes, result dropped', () => {
      const result = completeTask(inState('RUNNING'), 'cell-1', { failed: true, failure_reason: 'x'.repeat(1024) + 'y', result: 'partial' }, NOW);
      expect(result.ok && [result.value.failed, result.value.failure_reason, result.value.result]).to.deep.equal([true, 'x'.repeat(1024), '']);
    });
    it('from another cell: ResourceConflict naming both cells (BBS RunningOnDifferentCell)', () => {
      const result = completeTask(inState('RUNNING'), 'cell-2', { failed: false }, NOW);
      expect([codeOf(result), messageOf(result)]).to.deep.equal(['ResourceConflict', 'running on cell cell-1 not cell-2']);
    });
    for (const state of ['PENDING', 'COMPLETED', 'RESOLVING'] as const) {
      it(`from ${state}: cannot transition task from ${state} to COMPLETED`, () => {
        expect(messageOf(completeTask(inState(state), 'cell-1', { failed: false }, NOW))).to.equal(`cannot transition task from ${state} to COMPLETED`);
      });
    }
  });

  describe('cancelTask', () => {
    for (const state of STATES) {
      const legal = state === 'PENDING' || state === 'RUNNING';
      it(`${state}: ${legal ? 'COMPLETED, failed, task was cancelled' : `cannot transition task from ${state} to COMPLETED`}`, () => {
        const result = cancelTask(inState(state), NOW);
        if (legal) {
          expect(result.ok && [result.value.state, result.value.failed, result.value.failure_reason, result.value.cell_id, result.value.first_completed_at])
            .to.deep.equal(['COMPLETED', true, 'task was cancelled', '', NOW]);
        } else {
          expect([codeOf(result), messageOf(result)]).to.deep.equal(['InvalidStateTransition', `cannot transition task from ${state} to COMPLETED`]);
        }
      });
    }
  });

  describe('rejectTask at the retry limit', () => {
    const table: [number, number, string][] = [
      // rejection_count before, maxRetries, outcome
      [0, 3, 'PENDING 1'],
      [1, 3, 'PENDING 2'],
      [2, 3, 'PENDING 3'],
      [3, 3, 'COMPLETED failed'],
      [4, 3, 'COMPLETED failed'],
      [0, 0, 'COMPLETED failed'],
      [0, 1, 'PENDING 1'],
      [1, 1, 'COMPLETED failed'],
    ];
    for (const [count, max, expected] of table) {
      it(`count ${count}, max ${max}: ${expected}`, () => {
        const result = rejectTask(buildTask({ state: 'RUNNING', cell_id: 'cell-1', rejection_count: count }), 'insufficient resources: memory', max, NOW);
        expect(result.ok).to.equal(true);
        const task = result.ok ? result.value : buildTask();
        const summary = task.state === 'PENDING' ? `PENDING ${task.rejection_count}` : `COMPLETED ${task.failed ? 'failed' : 'ok'}`;
        expect(summary).to.equal(expected);
        if (task.state === 'PENDING') expect([task.rejection_reason, task.cell_id, task.updated_at]).to.deep.equal(['insufficient resources: memory', '', NOW]);
        else expect([task.failure_reason, task.rejection_count, task.first_completed_at]).to.deep.equal(['insufficient resources: memory', count, NOW]);
      });
    }

    it(`with the default ${DEFAULT_TASK_RETRIES} retries, the 4th rejection fails the task`, () => {
      let task = inState('PENDING');
      const states: string[] = [];
      for (let i = 0; i < 4; i++) {
        const result = rejectTask(task, 'found no compatible cell for required rootfs', DEFAULT_TASK_RETRIES, NOW + i);
        task = result.ok ? result.value : task;
        states.push(task.state);
      }
      expect(states).to.deep.equal(['PENDING', 'PENDING', 'PENDING', 'COMPLETED']);
      expect(task.failure_reason).to.equal('found no compatible cell for required rootfs');
    });

    for (const state of ['COMPLETED', 'RESOLVING'] as const) {
      it(`from ${state}: cannot transition task from ${state} to PENDING`, () => {
        expect(messageOf(rejectTask(inState(state), 'r', 3, NOW))).to.equal(`cannot transition task from ${state} to PENDING`);
      });
    }
  });

  describe('failTask, resolvingTask, demoteResolvingTask, checkTaskDeletable', () => {
    const table: [string, (task: Task) => { ok: boolean }, TaskState[]][] = [
      ['failTask', (t) => failTask(t, 'cell disappeared before completion', NOW), ['PENDING', 'RUNNING']],
      ['resolvingTask', (t) => resolvingTask(t, NOW), ['COMPLETED']],
      ['demoteResolvingTask', (t) => demoteResolvingTask(t), ['RESOLVING']],
      ['checkTaskDeletable', (t) => checkTaskDeletable(t), ['COMPLETED', 'RESOLVING']],
    ];
    for (const [name, op, legal] of table) {
      it(`${name} is legal from ${legal.join(', ')} only`, () => {
        expect(STATES.filter((state) => op(inState(state)).ok)).to.deep.equal(legal);
      });
    }
    it('name both states when refused', () => {
      expect(messageOf(resolvingTask(inState('RUNNING'), NOW))).to.equal('cannot transition task from RUNNING to RESOLVING');
      expect(messageOf(checkTaskDeletable(inState('RUNNING')))).to.equal('cannot transition task from RUNNING to DELETED');
      expect(messageOf(demoteResolvingTask(inState('COMPLETED')))).to.equal('cannot transition task from COMPLETED to COMPLETED');
    });
    it('resolving sets updated_at; demote leaves it; fail completes', () => {
      const resolving = resolvingTask(inState('COMPLETED'), NOW);
      expect(resolving.ok && [resolving.value.state, resolving.value.updated_at]).to.deep.equal(['RESOLVING', NOW]);
      const demoted = demoteResolvingTask(buildTask({ state: 'RESOLVING', updated_at: T0 }));
      expect(demoted.ok && [demoted.value.state, demoted.value.updated_at]).to.deep.equal(['COMPLETED', T0]);
      const failed = failTask(inState('RUNNING'), 'cell disappeared before completion', NOW);
      expect(failed.ok && [failed.value.state, failed.value.failed, failed.value.failure_reason, failed.value.cell_id]).to.deep.equal(['COMPLETED', true, 'cell disappeared before completion', '']);
    });
  });
});
