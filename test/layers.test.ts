/**
 * The layer rules (.dependency-cruiser.cjs) hold on the tree, and a wrong import fails them
 * naming the rule and the file, as `npm test` and CI would report it.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { finished, type Finished } from './support/child-process.js';
import { tempDir } from './support/temp-dir.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const depcruise = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const config = join(root, '.dependency-cruiser.cjs');

/** The arguments of `npm run lint:layers` after `depcruise`, so the test runs what CI runs. */
function lintLayersArgs(): string[] {
  const script: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts['lint:layers'];
  const [command, ...args] = script.split(/\s+/);
  expect(command).to.equal('depcruise');
  return args;
}

function cruise(cwd: string, args: string[]): Promise<Finished> {
  return finished(spawn(process.execPath, [depcruise, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] }), 30_000);
}

function write(base: string, path: string, text: string): void {
  mkdirSync(dirname(join(base, path)), { recursive: true });
  writeFileSync(join(base, path), text);
}

describe('layer rules (.dependency-cruiser.cjs)', function () {
  this.timeout(60_000);

  it('the tree as it is passes npm run lint:layers, with every source cruised', async () => {
    const result = await cruise(root, [...lintLayersArgs(), '--output-type', 'err']);
    // a parser that fails quietly cruises nothing and passes everything
    const cruised = Number(/(\d+) modules, \d+ dependencies cruised/.exec(result.stdout)?.[1]);
    expect(cruised, result.stdout + result.stderr).to.be.greaterThan(200);
    expect(result.code, result.stdout + result.stderr).to.equal(0);
  });

  it('a wrong import fails naming the rule and the importing file', async () => {
    const copy = tempDir('auctor-layers-');
    try {
      cpSync(join(root, 'src'), join(copy.path, 'src'), { recursive: true });
      cpSync(join(root, 'tsconfig.json'), join(copy.path, 'tsconfig.json'));
      cpSync(join(root, 'package.json'), join(copy.path, 'package.json'));
      symlinkSync(join(root, 'node_modules'), join(copy.path, 'node_modules'));
      write(copy.path, 'src/garden/wrong.ts', "import { ActorSystem } from '../runtime/kernel/system.js';\nexport const wrong = ActorSystem;\n");
      write(copy.path, 'src/runtime/cluster/wrong.ts', "import type { CellMsg } from '../../actors/cell.protocol.js';\nexport type Wrong = CellMsg;\n");
      write(copy.path, 'src/models/wrong.ts', "import { readFileSync } from 'node:fs';\nexport const wrong = readFileSync;\n");
      write(copy.path, 'src/actors/wrong.ts', "import { errorBody } from '../gateway/errors.js';\nexport const wrong = errorBody;\n");
      // what tsc emits for two modules that import each other's values
      write(copy.path, 'dist/src/runtime/kernel/ping.js', "import { pong } from './pong.js';\nexport const ping = () => pong;\n");
      write(copy.path, 'dist/src/runtime/kernel/pong.js', "import { ping } from './ping.js';\nexport const pong = () => ping;\n");

      const result = await cruise(copy.path, ['src', 'dist/src', '--config', config, '--output-type', 'err']);

      expect(result.code).to.not.equal(0);
      const violation = (rule: string, file: string) => new RegExp(`error ${rule}: ${file.replace(/\./g, '\\.')} →`);
      expect(result.stdout).to.match(violation('garden-imports-only-base', 'src/garden/wrong.ts'));
      expect(result.stdout).to.match(violation('runtime-imports-only-base-and-runtime', 'src/runtime/cluster/wrong.ts'));
      expect(result.stdout).to.match(violation('models-and-auction-stay-pure', 'src/models/wrong.ts'));
      expect(result.stdout).to.match(violation('actors-import-no-edges', 'src/actors/wrong.ts'));
      expect(result.stdout).to.match(violation('no-import-cycles', 'dist/src/runtime/kernel/ping.js'));
    } finally {
      copy.remove();
    }
  });
});
