import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { create as createTar } from 'tar';
import { byteSize, runAction } from '../../../src/executor/actions/index.js';
import type { Container } from '../../../src/garden/backend.js';
import { Actions } from '../../../src/models/actions.js';
import { eventually } from '../../support/eventually.js';
import { alive, outputSink, processGarden, sh, type ProcessGarden } from '../../support/garden.js';
import { tempDir } from '../../support/temp-dir.js';

describe('action trees on real processes', function () {
  this.timeout(20_000);
  let garden: ProcessGarden;
  let container: Container;
  let server: Server;
  let base: string;
  let droplet: Buffer;

  before(async () => {
    const src = tempDir('auctor-droplet-');
    mkdirSync(join(src.path, 'app'));
    writeFileSync(join(src.path, 'app', 'start'), '#!/bin/sh\necho "started with $GREETING"\n', { mode: 0o755 });
    await createTar({ cwd: src.path, file: join(src.path, 'droplet.tar') }, ['app']);
    droplet = gzipSync(readFileSync(join(src.path, 'droplet.tar')));
    src.remove();
  });

  beforeEach(async () => {
    garden = await processGarden();
    container = await garden.container('tree', { env: [{ name: 'GREETING', value: 'lrp env' }] });
    server = createServer((req, res) => {
      if (req.url === '/droplet.tgz') res.writeHead(200).end(droplet);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await garden.dispose();
  });

  const pidOf = (name: string) => Number(readFileSync(join(container.hostPath('/tmp'), `${name}.pid`), 'utf8'));
  const sleeper = (name: string) => Actions.run(sh(`echo $$ > ${join(container.hostPath('/tmp'), `${name}.pid`)}; exec sleep 30`));

  it('serial: downloads the droplet, then runs what it holds', async () => {
    const out = outputSink();
    const result = await runAction(
      Actions.serial([
        Actions.download({ from: `${base}/droplet.tgz`, to: '/home/vcap', artifact: 'droplet', user: 'vcap', log_source: 'CELL' }),
        Actions.run({ path: '/home/vcap/app/start', user: 'vcap', env: [{ name: 'GREETING', value: 'action env' }] }),
      ]),
      { container, onOutput: out.onOutput, logSource: 'APP/PROC/WEB/0' },
    );
    expect(result).to.deep.equal({ ok: true });
    expect(out.text()).to.deep.equal([
      'CELL: Downloading droplet...',
      `CELL: Downloaded droplet (${byteSize(droplet.length)})`,
      'APP/PROC/WEB/0: started with action env',
      'APP/PROC/WEB/0: Exit status 0',
    ]);
  });

  it('emit_progress around a serial whose download fails its checksum: the run never starts', async () => {
    const out = outputSink();
    const actual = createHash('sha1').update(droplet).digest('hex');
    const result = await runAction(
      Actions.emitProgress(
        Actions.serial([
          Actions.download({ from: `${base}/droplet.tgz`, to: '/home/vcap', artifact: 'droplet', user: 'vcap', checksum_algorithm: 'sha1', checksum_value: '0'.repeat(40) }),
          Actions.run(sh('echo should not run')),
        ]),
        { start_message: 'Preparing', failure_message_prefix: 'Failed to prepare' },
      ),
      { container, onOutput: out.onOutput },
    );
    const error = `Downloading droplet failed: checksum mismatch: sha1 expected ${'0'.repeat(40)}, got ${actual}`;
    expect(result).to.deep.equal({ ok: false, error });
    expect(out.text()).to.deep.equal(['APP: Preparing', 'APP: Downloading droplet...', 'APP: Downloading droplet failed', `APP: Failed to prepare: ${error}`]);
  });

  it('timeout around parallel: both sleeps are stopped and the step fails with `exceeded 300ms timeout`', async () => {
    const result = await runAction(Actions.timeout(Actions.parallel([sleeper('one'), sleeper('two')]), 300), { container });
    expect(result).to.deep.equal({ ok: false, error: 'exceeded 300ms timeout' });
    expect([alive(pidOf('one')), alive(pidOf('two'))]).to.deep.equal([false, false]);
    expect((await container.info()).processes).to.deep.equal([]);
  });

  it('try around codependent: a failing process stops its partner, the try succeeds, and the serial goes on', async () => {
    const out = outputSink();
    const result = await runAction(
      Actions.serial([
        Actions.try(Actions.codependent([sleeper('partner'), Actions.run(sh(`while [ ! -s ${join(container.hostPath('/tmp'), 'partner.pid')} ]; do sleep 0.05; done; exit 4`))])),
        Actions.run(sh('echo after')),
      ]),
      { container, onOutput: out.onOutput },
    );
    expect(result).to.deep.equal({ ok: true });
    expect(alive(pidOf('partner'))).to.equal(false);
    expect(out.text()).to.include.members(['APP: Exit status 4', 'APP: after']);
  });

  it('codependent with a timeout inside: the timeout ending ends the partner', async () => {
    const result = await runAction(Actions.codependent([sleeper('long'), Actions.timeout(sleeper('short'), 200)]), { container });
    expect(result).to.deep.equal({ ok: false, error: 'exceeded 200ms timeout' });
    expect([alive(pidOf('long')), alive(pidOf('short'))]).to.deep.equal([false, false]);
  });

  it('cancelling a deep tree stops every process in it and resolves `cancelled`', async () => {
    const controller = new AbortController();
    const out = outputSink();
    const tree = Actions.serial([
      Actions.emitProgress(
        Actions.parallel([sleeper('a'), Actions.timeout(sleeper('b'), 60_000), Actions.try(Actions.codependent([sleeper('c'), sleeper('d')]))]),
        { failure_message_prefix: 'Stopped' },
      ),
      Actions.run(sh('echo never')),
    ]);
    const running = runAction(tree, { container, onOutput: out.onOutput, gracefulStopMs: 5000 }, controller.signal);
    await eventually(async () => expect((await container.info()).processes).to.have.length(4));
    await eventually(() => ['a', 'b', 'c', 'd'].forEach(pidOf));
    controller.abort();
    expect(await running).to.deep.equal({ ok: false, error: 'cancelled' });
    expect(['a', 'b', 'c', 'd'].map((n) => alive(pidOf(n)))).to.deep.equal([false, false, false, false]);
    expect((await container.info()).processes).to.deep.equal([]);
    expect(out.text()).to.include('APP: Stopped');
    expect(out.text()).to.not.include('APP: never');
  });
});
