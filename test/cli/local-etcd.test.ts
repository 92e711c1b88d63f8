/** The local etcd of `auctor up --controls` and the tests (skipped without `etcd` on PATH). */
import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import { etcdInstalled, ETCD_INSTALL_HINT, freePort, startLocalEtcd } from '../../src/cli/local-etcd.js';
import { tempDir } from '../support/temp-dir.js';

describe('startLocalEtcd', function () {
  this.timeout(30_000);
  before(function () {
    if (!etcdInstalled()) {
      console.warn(`    skipped: no etcd on PATH (${ETCD_INSTALL_HINT})`);
      this.skip();
    }
  });

  it('starts again when its port was taken between asking and binding, as soon as the port is free', async () => {
    const port = await freePort();
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    const dir = tempDir('auctor-etcd-');
    const starting = startLocalEtcd(dir.path, { clientPort: port });
    // the first attempt fails to bind; the port is free by the next
    setTimeout(() => squatter.close(), 150);
    const etcd = await starting;
    try {
      expect(etcd.endpoint).to.equal(`127.0.0.1:${port}`);
      const health = (await (await fetch(`http://${etcd.endpoint}/health`)).json()) as { health: string };
      expect(health.health).to.equal('true');
    } finally {
      await etcd.stop();
      dir.remove();
    }
  });
});
