import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { finished } from '../../support/child-process.js';

const bin = fileURLToPath(new URL('../../../../bin/auctor.js', import.meta.url));
const auctor = (args: string[], env: NodeJS.ProcessEnv = {}) => spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });

describe('auctor start: cluster flags', function () {
  this.timeout(20_000);

  it('--help lists --listen (default 127.0.0.1:7777), --join and --cluster-secret with their env forms', async () => {
    const out = await finished(auctor(['start', '--help']));
    expect(out.code).to.equal(0);
    expect(out.stdout).to.match(/--listen <host:port>[\s\S]*default:\s+127\.0\.0\.1:7777[\s\S]*env: AUCTOR_LISTEN/);
    expect(out.stdout).to.match(/--join <list>[\s\S]*env: AUCTOR_JOIN/);
    expect(out.stdout).to.match(/--cluster-secret <secret>[\s\S]*env: AUCTOR_CLUSTER_SECRET/);
  });

  it('a --listen that is not loopback without --cluster-secret exits 2 naming it, as flag or env', async () => {
    const flag = await finished(auctor(['start', '--listen', '0.0.0.0:7777']));
    expect(flag.code).to.equal(2);
    expect(flag.stderr).to.contain('invalid field: cluster-secret: required when --listen (0.0.0.0) is not loopback');
    const env = await finished(auctor(['start'], { AUCTOR_LISTEN: '10.0.0.5:7777' }));
    expect(env.code).to.equal(2);
    expect(env.stderr).to.contain('invalid field: cluster-secret');
  });

  it('a bad --listen or --join address exits 2 naming the field', async () => {
    const listen = await finished(auctor(['start', '--listen', 'nowhere']));
    expect(listen.code).to.equal(2);
    expect(listen.stderr).to.contain('invalid field: listen: "nowhere" is not host:port');
    const join = await finished(auctor(['start', '--join', '127.0.0.1:7001,bad']));
    expect(join.code).to.equal(2);
    expect(join.stderr).to.contain('invalid field: join: "bad" is not host:port');
  });
});
