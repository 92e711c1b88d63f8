import { expect } from 'chai';
import { CELL_PROTOCOL } from '../../src/actors/cell.protocol-schema.js';
import { ACTUAL_LRP_PROTOCOL } from '../../src/actors/actual-lrp.protocol-schema.js';
import { CELLS_PROTOCOL } from '../../src/actors/cells.protocol-schema.js';
import { CONVERGENCE_PROTOCOL } from '../../src/actors/convergence.protocol-schema.js';
import { DOMAINS_PROTOCOL } from '../../src/actors/domains.protocol-schema.js';
import { LRP_SUPERVISOR_PROTOCOL } from '../../src/actors/lrp-supervisor.protocol-schema.js';
import { LRPS_PROTOCOL } from '../../src/actors/lrps.protocol-schema.js';
import { TASK_PROTOCOL } from '../../src/actors/task.protocol-schema.js';
import { TASKS_PROTOCOL } from '../../src/actors/tasks.protocol-schema.js';
import { ActorMessageChecker, replyToJson } from '../../src/runtime/kernel/actor-messages.js';
import { AuctorError } from '../../src/base/errors.js';

const ALL = [CELL_PROTOCOL, ACTUAL_LRP_PROTOCOL, CELLS_PROTOCOL, CONVERGENCE_PROTOCOL, DOMAINS_PROTOCOL, LRP_SUPERVISOR_PROTOCOL, LRPS_PROTOCOL, TASK_PROTOCOL, TASKS_PROTOCOL];

describe('gateway: actor message checks', () => {
  const checker = new ActorMessageChecker();
  const check = (body: unknown, ask = true, protocol = LRPS_PROTOCOL) => checker.check('/n/control/lrps', 'lrps', protocol, body, ask);
  const refusal = (body: unknown, ask = true, protocol = LRPS_PROTOCOL) => {
    try {
      check(body, ask, protocol);
    } catch (error) {
      expect(error).to.be.instanceOf(AuctorError);
      expect((error as AuctorError).code).to.equal('InvalidRequest');
      return (error as AuctorError).message;
    }
    throw new Error(`accepted ${JSON.stringify(body)}`);
  };

  it('every declared protocol compiles under ajv strict mode', () => {
    for (const protocol of ALL) {
      expect(checker.validators(protocol).size, protocol.kind).to.equal(Object.keys(protocol.messages).length).and.to.be.greaterThan(0);
    }
  });

  it('accepts a declared message and fills in defaults', () => {
    expect(check({ type: 'lrps/get', process_guid: 'web' })).to.deep.equal({ message: { type: 'lrps/get', process_guid: 'web' }, reply: 'required' });
    expect(check({ type: 'lrps/list' }).message).to.deep.equal({ type: 'lrps/list', filter: {} });
    expect(check({ type: 'convergence/run' }, false, CONVERGENCE_PROTOCOL).reply).to.equal('optional');
    expect(check({ type: 'actual-lrp/retry' }, false, ACTUAL_LRP_PROTOCOL).reply).to.equal('none');
  });

  it('names the field at fault', () => {
    const table: Array<[unknown, string]> = [
      [{}, 'invalid field: type'],
      [{ type: 3 }, 'invalid field: type'],
      [{ type: 'lrps/get' }, 'invalid field: process_guid'],
      [{ type: 'lrps/get', process_guid: '' }, 'invalid field: process_guid: must NOT have fewer than 1 characters'],
      [{ type: 'lrps/get', process_guid: ['web'] }, 'invalid field: process_guid'],
      [{ type: 'lrps/actuals', filter: 'all' }, 'invalid field: filter'],
      [{ type: 'lrps/actuals', filter: { index: 1.5 } }, 'invalid field: filter.index'],
      [{ type: 'lrps/actuals', filter: { index: -1 } }, 'invalid field: filter.index: must be >= 0'],
      [{ type: 'lrps/retire', process_guid: 'web' }, 'invalid field: index'],
      [{ type: 'lrps/get', process_guid: 'web', replyTo: {} }, 'invalid field: replyTo: the gateway fills it: send with ?ask=true'],
      [JSON.parse('{"type":"lrps/get","process_guid":"web","__proto__":{"x":1}}'), 'invalid field: __proto__: not a field of lrps/get'],
    ];
    for (const [body, message] of table) expect(refusal(body), JSON.stringify(body)).to.equal(message);
  });

  it('refuses internal and unknown types, listing what the kind accepts', () => {
    expect(refusal({ type: 'lrps/report', report: {} })).to.equal(
      'invalid field: type: "lrps/report" is not a message lrps accepts from outside (lrps/get, lrps/list, lrps/actuals, lrps/desire, lrps/update, lrps/remove, lrps/retire)',
    );
    expect(refusal({ type: 'toString' })).to.match(/^invalid field: type: "toString" is not a message/);
  });

  it('a message with a reply must be asked; an actor without a protocol accepts nothing', () => {
    expect(refusal({ type: 'lrps/get', process_guid: 'web' }, false)).to.equal('invalid field: ask: lrps/get has a reply: send it with ?ask=true');
    expect(() => checker.check('/n/control/auctioneer', 'auctioneer', undefined, { type: 'auctioneer/flush' }, false)).to.throw('actor /n/control/auctioneer (auctioneer) accepts no messages from outside');
  });
});

describe('gateway: replies as JSON', () => {
  it('errors become {type, message} with their code; undefined becomes null', () => {
    const failedResult = { ok: false, error: new AuctorError('ResourceNotFound', 'desired lrp not found: web') };
    expect(replyToJson(failedResult)).to.deep.equal({ ok: false, error: { type: 'ResourceNotFound', message: 'desired lrp not found: web' } });
    expect(replyToJson(new TypeError('boom'))).to.deep.equal({ type: 'TypeError', message: 'boom' });
    expect(replyToJson(undefined)).to.equal(null);
    expect(replyToJson({ a: undefined, b: 1, f: () => 1 })).to.deep.equal({ b: 1 });
  });

  it('Maps, Sets and cycles do not break it', () => {
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    expect(replyToJson({ m: new Map([['k', 1]]), s: new Set([1, 2]), n: 10n })).to.deep.equal({ m: { k: 1 }, s: [1, 2], n: '10' });
    expect(replyToJson(cyclic)).to.deep.equal({ name: 'x', self: '[circular]' });
    const shared = { v: 1 };
    expect(replyToJson([shared, shared])).to.deep.equal([{ v: 1 }, { v: 1 }]);
  });
});
