import { expect } from 'chai';
import { Actions, actionBody, actionKind, type Action } from '../../src/models/actions.js';

describe('actions model', () => {
  const run = Actions.run({ path: 'ls', user: 'vcap' });

  it('builds envelopes with BBS field names', () => {
    const tree = Actions.serial([
      Actions.download({ from: 'http://x/droplet.tgz', to: '.', user: 'vcap', artifact: 'droplet' }),
      Actions.timeout(Actions.parallel([run, Actions.codependent([run], { log_source: 'SIDE' })]), 500),
      Actions.try(Actions.emitProgress(run, { start_message: 'go', failure_message_prefix: 'oops' })),
    ]);
    expect(JSON.parse(JSON.stringify(tree))).to.deep.equal({
      serial: {
        actions: [
          { download: { from: 'http://x/droplet.tgz', to: '.', user: 'vcap', artifact: 'droplet' } },
          { timeout: { action: { parallel: { actions: [{ run: { path: 'ls', user: 'vcap' } }, { codependent: { actions: [{ run: { path: 'ls', user: 'vcap' } }], log_source: 'SIDE' } }] } }, timeout_ms: 500 } },
          { try: { action: { emit_progress: { action: { run: { path: 'ls', user: 'vcap' } }, start_message: 'go', failure_message_prefix: 'oops' } } } },
        ],
      },
    });
  });

  it('names the kind of an action and gives its body', () => {
    const kinds = [run, Actions.serial([]), Actions.parallel([]), Actions.codependent([]), Actions.try(run), Actions.timeout(run, 1), Actions.emitProgress(run), Actions.download({ from: 'f', to: 't', user: 'u' })].map(actionKind);
    expect(kinds).to.deep.equal(['run', 'serial', 'parallel', 'codependent', 'try', 'timeout', 'emit_progress', 'download']);
    expect(actionBody(run, 'run').path).to.equal('ls');
  });

  it('throws for an envelope with no inner action (validation rejects it first)', () => {
    expect(() => actionKind({} as Action)).to.throw('invalid action: no inner action');
    expect(() => actionKind({ upload: {} } as unknown as Action)).to.throw('invalid action: no inner action');
  });
});
