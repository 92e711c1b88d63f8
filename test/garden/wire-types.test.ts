import { expect } from 'chai';
import type { Enforceable as GardenEnforceable, EnvVar as GardenEnvVar } from '../../src/garden/backend.js';
import { FakeBackend } from '../../src/garden/fake/fake-backend.js';
import { ENFORCEABLE, type Enforceable as ModelsEnforceable } from '../../src/models/cell-state.js';
import type { EnvVar as ModelsEnvVar } from '../../src/models/env-var.js';

// Garden imports nothing of the models, so it declares the two wire shapes it shares with them.
// These lines stop compiling (npm run typecheck) the day one side changes without the other.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const sameLimits: Equal<GardenEnforceable, ModelsEnforceable> = true;
const sameEnvVar: Equal<GardenEnvVar, ModelsEnvVar> = true;

describe('garden types that mirror the models', () => {
  it('are the same types as the models ones', () => {
    expect([sameLimits, sameEnvVar]).to.deep.equal([true, true]);
  });

  it('a backend reports every limit a cell presence may name, unchanged', () => {
    const backend = new FakeBackend({ enforces: [...ENFORCEABLE] });
    const advertised: ModelsEnforceable[] = backend.enforces();
    expect(advertised).to.deep.equal([...ENFORCEABLE]);
  });
});
