import { expect } from 'chai';
import { AskTimeoutError, ActorNotFoundError } from '../../../src/base/errors.js';
import { ActorSystem } from '../../../src/runtime/kernel/system.js';
import type { Ref } from '../../../src/runtime/kernel/protocol.js';
import { eventually } from '../../support/eventually.js';
import { FakeClock } from '../../support/fake-clock.js';

type EchoMsg = { type: 'echo/say'; text: string; replyTo: Ref<string> } | { type: 'echo/hold'; until: Promise<void> } | { type: 'echo/ignore'; replyTo: Ref<string> };

describe('actor system', () => {
  let clock: FakeClock;
  let system: ActorSystem;

  beforeEach(() => {
    clock = new FakeClock();
    system = ActorSystem.start({ name: `system-${Math.random().toString(36).slice(2)}`, clock });
  });
  afterEach(() => system.shutdown());

  const spawnEcho = (parent = system.root, name = 'echo') =>
    system.spawn<{ said: number }, EchoMsg>(parent, {
      kind: 'echo',
      name,
      initialState: () => ({ said: 0 }),
      summary: (s) => ({ said: s.said }),
      handle: async (state, msg) => {
        switch (msg.type) {
          case 'echo/say':
            system.dispatch(msg.replyTo, msg.text.toUpperCase());
            return { said: state.said + 1 };
          case 'echo/hold':
            await msg.until;
            return state;
          case 'echo/ignore':
            return state;
        }
      },
    });
  const say = (ref: Ref<EchoMsg>, text: string) =>
    system.query<EchoMsg, string>(ref, (replyTo) => ({ type: 'echo/say', text, replyTo }), 1000);

  it('answers a query through the reply address inside the message', async () => {
    expect(await say(spawnEcho(), 'hello')).to.equal('HELLO');
  });

  it('refuses a second system of the same name in one process', () => {
    expect(() => ActorSystem.start({ name: system.name })).to.throw(/already running/);
  });

  it('registers each actor with its kind, parent, status, last message time and summary', async () => {
    const parent = spawnEcho(system.root, 'parent');
    const child = spawnEcho(parent, 'child');
    expect(system.registry.get('/parent/child')!.lastMessageAt).to.equal(null);
    await clock.advance(1234);
    await say(child, 'x');
    const info = system.registry.get('/parent/child')!;
    expect(info).to.include({ path: '/parent/child', name: 'child', kind: 'echo', parent: '/parent', status: 'running', restarts: 0, mailbox: 0 });
    expect(info.lastMessageAt).to.equal(clock.now());
    await eventually(() => expect(system.registry.get('/parent/child')!.summary).to.deep.equal({ said: 1 }));
    expect(info.lastFailure).to.equal(null);
  });

  it('shows the mailbox length of a busy actor', async () => {
    const echo = spawnEcho();
    let release!: () => void;
    system.dispatch(echo, { type: 'echo/hold', until: new Promise<void>((r) => (release = r)) });
    for (let i = 0; i < 3; i++) system.dispatch(echo, { type: 'echo/say', text: 'x', replyTo: echo as never });
    await eventually(() => expect(system.registry.get('/echo')!.mailbox).to.equal(3));
    release();
    await eventually(() => expect(system.registry.get('/echo')!.mailbox).to.equal(0));
  });

  it('builds the supervision tree, to a depth', () => {
    const a = spawnEcho(system.root, 'a');
    spawnEcho(a, 'b');
    spawnEcho(a, 'c');
    spawnEcho(system.root, 'z');
    const tree = system.registry.tree();
    expect(tree.map((n) => n.path)).to.deep.equal(['/a', '/z']);
    expect(tree[0]!.children.map((n) => n.path)).to.deep.equal(['/a/b', '/a/c']);
    expect(system.registry.tree(undefined, 1)[0]!.children).to.deep.equal([]);
    expect(system.registry.tree('/a').map((n) => n.children.length)).to.deep.equal([2]);
  });

  it('drops stopped actors, their children with them, from the registry', async () => {
    const a = spawnEcho(system.root, 'a');
    spawnEcho(a, 'b');
    expect(system.registry.size).to.equal(2);
    system.stop(a);
    await eventually(() => expect(system.registry.size).to.equal(0));
    expect(system.lookup('/a/b')).to.equal(undefined);
  });

  it('counts a message to a stopped actor as a dead letter, and a query to it fails with ResourceNotFound', async () => {
    const echo = spawnEcho();
    system.stop(echo);
    expect(system.dispatch(echo, { type: 'echo/ignore', replyTo: echo as never })).to.equal(false);
    expect(system.registry.deadLetters).to.equal(1);
    const error = await say(echo, 'x').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ActorNotFoundError);
    expect((error as ActorNotFoundError).code).to.equal('ResourceNotFound');
  });

  it('fails a query that gets no reply in time with a Timeout error naming the target', async () => {
    const echo = spawnEcho();
    const error = await system
      .query<EchoMsg, string>(echo, (replyTo) => ({ type: 'echo/ignore', replyTo }), 30)
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(AskTimeoutError);
    expect((error as AskTimeoutError).message).to.equal('no reply from /echo within 30ms');
  });

  it('finds a live actor by path', async () => {
    const a = spawnEcho(system.root, 'a');
    spawnEcho(a, 'b');
    const found = system.lookup('/a/b') as Ref<EchoMsg>;
    expect(await say(found, 'found')).to.equal('FOUND');
    expect(system.lookup('/a/nope')).to.equal(undefined);
  });
});
