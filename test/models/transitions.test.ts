import { expect } from 'chai';
import type { ActualLrpState } from '../../src/models/actual-lrp.js';
import type { TaskState } from '../../src/models/task.js';
import {
  checkActualLrpInstance, checkActualLrpTransition, checkTaskCell, checkTaskOperation, checkTaskTransition,
  type TaskOperation, type TaskTarget,
} from '../../src/models/transitions.js';
import { codeOf, messageOf } from './builders.js';

const K1 = { instance_guid: 'ig-1', cell_id: 'cell-1' };
const K2 = { instance_guid: 'ig-2', cell_id: 'cell-2' };
const EMPTY = { instance_guid: '', cell_id: '' };

describe('ActualLRP transitions (DIEGO.md 1.2, with the same-instance-key rule)', () => {
  // stored key: K1 for CLAIMED/RUNNING, none for UNCLAIMED/CRASHED.
  // Each cell: [request with K1, request with K2, request with no key] → ok or the message suffix.
  const ok = 'ok';
  const no = 'no';
  const differs = 'instance key differs';
  const notEmpty = 'instance key must be empty';
  const table: [ActualLrpState, ActualLrpState, [string, string, string]][] = [
    ['UNCLAIMED', 'UNCLAIMED', [ok, ok, ok]],
    ['UNCLAIMED', 'CLAIMED', [ok, ok, ok]],
    ['UNCLAIMED', 'RUNNING', [ok, ok, ok]],
    ['UNCLAIMED', 'CRASHED', [no, no, no]],
    ['CLAIMED', 'UNCLAIMED', [notEmpty, notEmpty, ok]],
    ['CLAIMED', 'CLAIMED', [ok, differs, differs]],
    ['CLAIMED', 'RUNNING', [ok, ok, ok]],
    ['CLAIMED', 'CRASHED', [ok, differs, differs]],
    ['RUNNING', 'UNCLAIMED', [notEmpty, notEmpty, ok]],
    ['RUNNING', 'CLAIMED', [ok, differs, differs]],
    ['RUNNING', 'RUNNING', [ok, differs, differs]],
    ['RUNNING', 'CRASHED', [ok, differs, differs]],
    ['CRASHED', 'UNCLAIMED', [notEmpty, notEmpty, ok]],
    ['CRASHED', 'CLAIMED', [differs, differs, ok]],
    ['CRASHED', 'RUNNING', [differs, differs, ok]],
    ['CRASHED', 'CRASHED', [no, no, no]],
  ];
  for (const [from, to, expected] of table) {
    it(`${from} → ${to}: K1 ${expected[0]}, K2 ${expected[1]}, no key ${expected[2]}`, () => {
      const stored = from === 'CLAIMED' || from === 'RUNNING' ? K1 : EMPTY;
      const outcomes = [K1, K2, undefined].map((key) => {
        const result = checkActualLrpTransition({ state: from, ...stored }, to, key);
        if (result.ok) return ok;
        expect(result.error.code).to.equal('InvalidStateTransition');
        const base = `cannot transition actual lrp from ${from} to ${to}`;
        return result.error.message === base ? no : result.error.message.slice(base.length + 2);
      });
      expect(outcomes).to.deep.equal(expected);
    });
  }

  it('names both states and the rule in the message', () => {
    expect(messageOf(checkActualLrpTransition({ state: 'UNCLAIMED', ...EMPTY }, 'CRASHED'))).to.equal('cannot transition actual lrp from UNCLAIMED to CRASHED');
    expect(messageOf(checkActualLrpTransition({ state: 'RUNNING', ...K1 }, 'CLAIMED', K2))).to.equal('cannot transition actual lrp from RUNNING to CLAIMED: instance key differs');
    expect(messageOf(checkActualLrpTransition({ state: 'CLAIMED', ...K1 }, 'UNCLAIMED', K1))).to.equal('cannot transition actual lrp from CLAIMED to UNCLAIMED: instance key must be empty');
  });

  it('a request for another placement of the row is a ResourceConflict', () => {
    expect(checkActualLrpInstance(K1, { ...K1 }).ok).to.equal(true);
    const result = checkActualLrpInstance(K1, K2);
    expect([codeOf(result), messageOf(result)]).to.deep.equal(['ResourceConflict', 'running on cell cell-1 as ig-1 not cell-2 as ig-2']);
  });
});

describe('Task transitions (DIEGO.md 1.3)', () => {
  const STATES: TaskState[] = ['PENDING', 'RUNNING', 'COMPLETED', 'RESOLVING'];
  const table: [TaskOperation, TaskState[], TaskTarget][] = [
    ['start', ['PENDING'], 'RUNNING'],
    ['complete', ['RUNNING'], 'COMPLETED'],
    ['cancel', ['PENDING', 'RUNNING'], 'COMPLETED'],
    ['reject', ['PENDING', 'RUNNING'], 'PENDING'],
    ['fail', ['PENDING', 'RUNNING'], 'COMPLETED'],
    ['resolving', ['COMPLETED'], 'RESOLVING'],
    ['demote', ['RESOLVING'], 'COMPLETED'],
    ['delete', ['COMPLETED', 'RESOLVING'], 'DELETED'],
  ];
  for (const [operation, legal, to] of table) {
    for (const from of STATES) {
      const allowed = legal.includes(from);
      it(`${operation} from ${from}: ${allowed ? 'ok' : `cannot transition task from ${from} to ${to}`}`, () => {
        const result = checkTaskOperation(operation, from);
        expect(messageOf(result)).to.equal(allowed ? 'ok' : `cannot transition task from ${from} to ${to}`);
        if (!allowed) expect(codeOf(result)).to.equal('InvalidStateTransition');
      });
    }
  }

  it('the state graph allows exactly the operations’ moves', () => {
    const targets: TaskTarget[] = [...STATES, 'DELETED'];
    const legal = STATES.flatMap((from) => targets.filter((to) => checkTaskTransition(from, to).ok).map((to) => `${from}→${to}`));
    expect(legal).to.deep.equal([
      'PENDING→PENDING', 'PENDING→RUNNING', 'PENDING→COMPLETED',
      'RUNNING→PENDING', 'RUNNING→COMPLETED',
      'COMPLETED→RESOLVING', 'COMPLETED→DELETED',
      'RESOLVING→COMPLETED', 'RESOLVING→DELETED',
    ]);
    expect(messageOf(checkTaskTransition('RUNNING', 'RESOLVING'))).to.equal('cannot transition task from RUNNING to RESOLVING');
  });

  it('a task on another cell is a ResourceConflict naming both cells', () => {
    expect(checkTaskCell({ cell_id: 'cell-1' }, 'cell-1').ok).to.equal(true);
    const result = checkTaskCell({ cell_id: 'cell-1' }, 'cell-2');
    expect([codeOf(result), messageOf(result)]).to.deep.equal(['ResourceConflict', 'running on cell cell-1 not cell-2']);
  });
});
