import { expect } from 'chai';
import { systemClock } from '../../../src/base/clock.js';
import { Actions } from '../../../src/models/actions.js';
import { monitorHealth } from '../../../src/executor/health/monitor.js';
import { monitorActionCheck } from '../../../src/executor/health/monitor-action.js';
import { eventually } from '../../support/eventually.js';
import { processGarden } from '../../support/garden.js';

describe('legacy monitor action as a health check', function () {
  this.timeout(20_000);

  it('passes while the action exits 0 and reports its exit status once it does not', async () => {
    const garden = await processGarden();
    try {
      const container = await garden.backend.create({ handle: 'monitored', rootfs: 'preloaded:host' });
      const flag = container.hostPath('/home/vcap/healthy');
      const { writeFileSync, rmSync } = await import('node:fs');
      writeFileSync(flag, '');
      const check = monitorActionCheck(Actions.run({ path: 'sh', args: ['-c', `test -e ${flag}`], user: 'vcap', suppress_log_output: true }), { container });
      expect(await check(new AbortController().signal)).to.deep.equal({ ok: true });

      let healthy = false;
      const monitor = monitorHealth({
        check, unhealthyIntervalMs: 20, healthyIntervalMs: 50, clock: systemClock, onHealthy: () => (healthy = true),
      });
      await eventually(() => expect(healthy).to.equal(true));
      rmSync(flag);
      const end = await monitor.done;
      expect(end).to.deep.equal({ state: 'unhealthy', reason: 'Instance became unhealthy: Liveness check unsuccessful: Exited with status 1' });
    } finally {
      await garden.dispose();
    }
  });
});
