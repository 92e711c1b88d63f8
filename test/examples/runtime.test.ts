/**
 * examples/runtime run as its README says, after `npm run build` (which `npm test` has done):
 * every step holds, the lines a user reads say so, and nothing is left behind.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { finished, type Finished } from '../support/child-process.js';
import { tempDir } from '../support/temp-dir.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const COMMAND = 'node dist/examples/runtime/main.js';

/** Runs the README's command from the repository root, its temp dirs under `tmp`. */
function runExample(tmp: string, env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  const [program, ...args] = COMMAND.split(' ');
  expect(program).to.equal('node');
  const child = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp, ...env } });
  return finished(child, 20_000);
}

/** Every pid the launcher printed: the nodes it started, the killed one included. */
function pidsIn(stdout: string): number[] {
  return [...stdout.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('examples/runtime', function () {
  this.timeout(30_000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir('auctor-example-test-')));
  afterEach(() => tmp.remove());

  it('is run by the command both READMEs give', () => {
    for (const readme of ['README.md', 'examples/runtime/README.md']) {
      expect(readFileSync(join(repo, readme), 'utf8'), readme).to.contain(`npm run build && ${COMMAND}`);
    }
  });

  it('runs every step on two nodes, prints what held, and leaves no process or data behind', async () => {
    const run = await runExample(tmp.path);
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    const out = run.stdout;
    expect(out).to.match(/a \(pid \d+, 127\.0\.0\.1:\d+\) and b \(pid \d+, 127\.0\.0\.1:\d+\) joined with a cluster secret; b sees a up, b up/);
    expect(out).to.contain('b deposited 10, 20, 12 into a\'s /ledger; each was acknowledged once durable: balance 42');
    expect(out).to.match(/kill -9 of a \(pid \d+\); restarted on the same data dir \(pid \d+\): \/ledger replayed 3 deposits, balance 42/);
    expect(out).to.contain('b asked a\'s /ledger through a remote ref: reply {"balance":42,"deposits":3}');
    expect(out).to.contain('/workers/flaky crashed 3 times and was restarted each time (restarts 3');
    expect(out).to.contain('its 4th crash went past the intensity and escalated: /workers restarted (restarts 1) with a fresh flaky (restarts 0)');
    expect(out).to.contain('/workers/fragile (restartOrQuarantine, 2 in 60 s) was restarted 2 times, then quarantined');
    expect(out).to.contain('tree of a (asked of its /cluster actor by b):');
    expect(out).to.contain('/a/ledger  ledger, running, restarts 0, {"balance":42,"deposits":3}');
    expect(out).to.contain('tree of b (asked of its /cluster actor by b):');
    expect(out).to.contain('/b/workers/fragile  worker, quarantined, restarts 2');
    expect(out).to.contain('every step held (5 of 5)');

    const pids = pidsIn(out);
    expect(pids).to.have.length(4); // a, b, a killed, a restarted
    expect(pids.filter(isRunning)).to.deep.equal([]);
    expect(readdirSync(tmp.path)).to.deep.equal([]);
  });

  it('exits 1 naming the step that did not hold, and still cleans up', async () => {
    // an unknown log level makes pino throw as a node starts: the first step cannot hold
    const run = await runExample(tmp.path, { AUCTOR_LOG_LEVEL: 'no-such-level' });
    expect(run.code).to.equal(1);
    expect(run.stdout).to.contain('did not hold: node a exited (code 1)');
    expect(run.stdout).to.contain('FAILED at step 1 (two nodes join over gRPC)');
    expect(readdirSync(tmp.path)).to.deep.equal([]);
  });

  it('imports nothing but the runtime and the base', () => {
    const dir = join(repo, 'examples/runtime');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const specifiers = [...readFileSync(join(dir, file), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      const outside = specifiers.filter((s) => !/^(node:|\.\/|\.\.\/\.\.\/src\/(base|runtime)\/)/.test(s));
      expect(outside, file).to.deep.equal([]);
    }
  });
});
