/**
 * The kernel's delivery API (docs/011-actor-kernel.md "Delivery by path"): what remoting uses
 * instead of nact's objects. A message for a path with no live actor is a counted dead letter
 * with its reason.
 */
import { expect } from 'chai';
import { ActorNotFoundError } from '../../../src/base/errors.js';
import type { Ref } from '../../../src/runtime/kernel/protocol.js';
import { ActorSystem } from '../../../src/runtime/kernel/system.js';
import { captureLogs } from '../../support/log-capture.js';
import { eventually } from '../../support/eventually.js';

type Msg = { type: 'note'; text: string } | { type: 'fail' } | { type: 'hold'; replyTo: Ref<string> };

describe('kernel delivery by path', () => {
  let system: ActorSystem;
  let logs: ReturnType<typeof captureLogs>;

  beforeEach(() => {
    logs = captureLogs();
    system = ActorSystem.start({ name: `delivery-${Math.random().toString(36).slice(2)}`, logger: logs.logger });
  });
  afterEach(() => system.shutdown());

  function spawnNoter(name = 'noter') {
    const seen: string[] = [];
    const held: Array<Ref<string>> = [];
    const ref = system.spawnStateless<Msg>(system.root, {
      kind: 'noter',
      name,
      onCrash: () => 'quarantine',
      handle: (msg) => {
        if (msg.type === 'fail') throw new Error('broken record');
        if (msg.type === 'hold') held.push(msg.replyTo);
        else seen.push(msg.text);
      },
    });
    return { ref, seen, held };
  }

  it('delivers to the live actor at a path, and to the next one after it stopped', async () => {
    const first = spawnNoter();
    expect(system.deliver('/noter', { type: 'note', text: 'one' })).to.equal('delivered');
    expect(system.deliver('/noter', { type: 'note', text: 'two' })).to.equal('delivered');
    await eventually(() => expect(first.seen).to.deep.equal(['one', 'two']));
    system.stop(first.ref);
    expect(system.deliver('/noter', { type: 'note', text: 'lost' })).to.equal('no-such-actor');
    const second = spawnNoter();
    expect(system.deliver('/noter', { type: 'note', text: 'three' }, 'node-b')).to.equal('delivered');
    await eventually(() => expect(second.seen).to.deep.equal(['three']));
    expect(first.seen).to.deep.equal(['one', 'two']);
  });

  it('counts a message for no actor as a dead letter, logged with its reason and the node it came from', () => {
    expect(system.deliver('/nobody', { type: 'note', text: 'x' }, 'node-b')).to.equal('no-such-actor');
    expect(system.registry.deadLetters).to.equal(1);
    expect(logs.named('actor.dead-letter')).to.have.length(1);
    expect(logs.named('actor.dead-letter')[0]).to.include({ to: '/nobody', type: 'note', reason: 'no-such-actor', from: 'node-b' });
  });

  it('says `quarantined` for the path of a quarantined actor', async () => {
    const noter = spawnNoter();
    system.dispatch(noter.ref, { type: 'fail' });
    await eventually(() => expect(system.registry.quarantined('/noter')).not.to.equal(undefined));
    expect(system.deliver('/noter', { type: 'note', text: 'x' })).to.equal('quarantined');
    expect(system.registry.deadLetters).to.equal(1);
  });

  it('resolves the temporary reference of a waiting ask, and none once it was answered', async () => {
    const noter = spawnNoter();
    const asked = system.query<Msg, string>(noter.ref, (replyTo) => ({ type: 'hold', replyTo }), 5000);
    await eventually(() => expect(noter.held).to.have.length(1));
    const id = (noter.held[0] as { id?: number }).id!;
    const temp = system.resolveTemporary(id);
    expect(temp).to.not.equal(undefined);
    expect(system.dispatch(temp as Ref<string>, 'answered')).to.equal(true);
    expect(await asked).to.equal('answered');
    expect(system.resolveTemporary(id)).to.equal(undefined);

    const failing = system.query<Msg, string>(noter.ref, (replyTo) => ({ type: 'hold', replyTo }), 5000);
    await eventually(() => expect(noter.held).to.have.length(2));
    expect(system.fail(system.resolveTemporary((noter.held[1] as { id?: number }).id!)!, new ActorNotFoundError('/b/nobody'))).to.equal(true);
    const error = await failing.catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ActorNotFoundError);
  });
});
