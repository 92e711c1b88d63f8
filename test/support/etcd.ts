/** A real etcd for tests: `withEtcd(this)` in a describe starts one per test and kills it after, or skips when `etcd` is not on PATH. */
import { ETCD_INSTALL_HINT, etcdInstalled, startLocalEtcd, type LocalEtcd } from '../../src/cli/local-etcd.js';
import { tempDir } from './temp-dir.js';

export interface EtcdFixture {
  /** the running etcd of the current test */
  current(): LocalEtcd;
  /** starts another etcd on the same data dir and client port (after `current().stop()`) */
  restart(): Promise<LocalEtcd>;
}

export function withEtcd(suite: Mocha.Suite): EtcdFixture {
  let etcd: LocalEtcd | undefined;
  let dir: ReturnType<typeof tempDir> | undefined;
  suite.beforeAll(function () {
    if (!etcdInstalled()) {
      console.warn(`    skipped: no etcd on PATH (${ETCD_INSTALL_HINT})`);
      this.skip();
    }
  });
  suite.beforeEach(async () => {
    dir = tempDir('auctor-etcd-');
    etcd = await startLocalEtcd(dir.path);
  });
  suite.afterEach(async () => {
    await etcd?.stop();
    dir?.remove();
    etcd = undefined;
  });
  return {
    current: () => etcd!,
    restart: async () => {
      const port = Number(etcd!.endpoint.split(':')[1]);
      await etcd!.stop();
      etcd = await startLocalEtcd(dir!.path, { clientPort: port });
      return etcd;
    },
  };
}
