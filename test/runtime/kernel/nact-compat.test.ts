import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { checkNact, NACT_EXPECTATIONS, PINNED_NACT_VERSION, renderNactTable, type NactModules, type NactOwner } from '../../../src/runtime/kernel/nact-compat.js';
import { ActorClass, findActor, findSystem, nactModules, type NactRef } from '../../../src/runtime/kernel/nact-internals.js';
import { MemoryPersistenceEngine } from '../../../src/runtime/persistence/memory-engine.js';
import { ActorSystem } from '../../../src/runtime/kernel/system.js';

/** A copy of the real modules with `owner` replaced by a copy that `edit` doctors; the real objects stay untouched. */
function doctored(owner: NactOwner, edit: (copy: Record<string, unknown>) => void, version?: string): NactModules {
  const real = nactModules();
  const copy = Object.defineProperties({}, Object.getOwnPropertyDescriptors(real[owner]!)) as Record<string, unknown>;
  edit(copy);
  return { ...real, [owner]: copy, ...(version === undefined ? {} : { version }) };
}

describe('nact boot check', () => {
  it('passes the installed nact, at the pinned version, and lets a system start', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.nact).to.equal(PINNED_NACT_VERSION);
    expect(nactModules().version).to.equal(PINNED_NACT_VERSION);
    expect(checkNact(nactModules())).to.equal(undefined);
    expect(() => ActorSystem.assertCanStart()).not.to.throw();
    await ActorSystem.start({ name: 'nact-compat-check' }).shutdown();
  });

  it('refuses a release that lacks a method the kernel patches, naming it', () => {
    const modules = doctored('Actor.prototype', (proto) => delete proto.handleMessage);
    expect(checkNact(modules)).to.equal(
      "nact 7.6.2 is the version the kernel's patches were written for, but it has changed: Actor.prototype.handleMessage is missing",
    );
    // the doctored copy is a copy: the real prototype still passes
    expect(checkNact(nactModules())).to.equal(undefined);
  });

  it('refuses a method whose parameters changed, and a field of another kind', () => {
    const arity = doctored('Actor.prototype', (proto) => (proto.dispatch = (_message: unknown, _sender: unknown, _options: unknown) => undefined));
    expect(checkNact(arity)).to.match(/: Actor\.prototype\.dispatch changed: it takes 3 parameters, not 1$/);
    const field = doctored('Actor#', (actor) => (actor.mailbox = []));
    expect(checkNact(field)).to.match(/: Actor#mailbox changed: it is an object, not a queue \(push, shift, toArray, length\)$/);
    const system = doctored('ActorSystem#', (s) => (s.tempReferences = {}));
    expect(checkNact(system)).to.match(/: ActorSystem#tempReferences changed: it is an object, not a map$/);
  });

  it('refuses another version, naming the one found and the one expected, and what changed', () => {
    const real = nactModules();
    expect(checkNact({ ...real, version: '7.7.0' })).to.equal(
      "nact 7.7.0 is not the version the kernel's patches were written for (7.6.2): every member the kernel patches or reads is still there: review the patches against it, then pin it",
    );
    const changed = doctored('Actor.prototype', (proto) => delete proto.createContext, '7.7.0');
    expect(checkNact(changed)).to.equal(
      "nact 7.7.0 is not the version the kernel's patches were written for (7.6.2): Actor.prototype.createContext is missing",
    );
  });

  it('names a file of nact that does not load, once, instead of each member it holds', () => {
    const modules: NactModules = { ...nactModules(), systemMap: undefined, unreachable: ['nact/lib/system-map.js cannot be loaded (Cannot find module)'] };
    expect(checkNact(modules)).to.equal(
      "nact 7.6.2 is the version the kernel's patches were written for, but it has changed: nact/lib/system-map.js cannot be loaded (Cannot find module)",
    );
  });

  it('lists every member the shield replaced or wrapped, each member once', async () => {
    const names = NACT_EXPECTATIONS.map((e) => `${e.owner} ${e.member}`);
    expect(new Set(names).size).to.equal(names.length);
    // a persistent actor's first spawn patches its class; a system's start patches the system
    const system = ActorSystem.start({ name: 'nact-compat-patches', engine: new MemoryPersistenceEngine() });
    try {
      const ref = system.spawnPersistent(system.root, { kind: 'probe', name: 'p', key: 'p', initialState: () => 0, applyEvent: (s: number) => s, handle: (s: number) => s });
      const persistent = findActor(ref as NactRef)!;
      const live: Partial<Record<NactOwner, object>> = {
        Actor: ActorClass,
        'Actor.prototype': ActorClass.prototype,
        'PersistentActor.prototype': Object.getPrototypeOf(persistent) as object,
        'ActorSystem.prototype': findSystem(system.name)!,
      };
      const patched = Object.entries(live).flatMap(([owner, object]) => {
        const pristine = nactModules()[owner as NactOwner] as Record<string, unknown>;
        return Object.getOwnPropertyNames(pristine).filter((m) => (object as Record<string, unknown>)[m] !== pristine[m]).map((m) => `${owner} ${m}`);
      });
      const listed = NACT_EXPECTATIONS.filter((e) => e.use === 'replaced' || e.use === 'wrapped').map((e) => `${e.owner} ${e.member}`);
      expect(patched).to.have.length.above(10);
      expect(patched.filter((p) => !listed.includes(p)), 'patched but not in NACT_EXPECTATIONS').to.deep.equal([]);
    } finally {
      await system.shutdown();
    }
  });

  it('is the table docs/011-actor-kernel.md shows', () => {
    const docs = readFileSync(new URL('../../../../docs/011-actor-kernel.md', import.meta.url), 'utf8');
    expect(docs, 'docs/011-actor-kernel.md must hold renderNactTable() verbatim').to.contain(renderNactTable());
  });
});
