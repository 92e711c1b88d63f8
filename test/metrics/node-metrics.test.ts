import { expect } from 'chai';
import { NodeMetrics } from '../../src/metrics/node-metrics.js';
import { ActorSystem } from '../../src/runtime/kernel/system.js';
import { eventually } from '../support/eventually.js';
import { parseExposition, sampleValue } from '../support/prometheus.js';

type Msg = { type: 'hold'; until: Promise<void> } | { type: 'noop' };

describe('NodeMetrics: the actor figures of a scrape', () => {
  let system: ActorSystem;
  let metrics: NodeMetrics;
  beforeEach(() => {
    system = ActorSystem.start({ name: `node-metrics-${Math.random().toString(36).slice(2)}` });
    metrics = new NodeMetrics({ system });
  });
  afterEach(async () => {
    metrics.close();
    await system.shutdown();
  });

  it('counts actors and mailboxes by kind without summarising any actor (a scrape at 100k instances cost ~1 s of CPU doing so)', async () => {
    let summaries = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const workers = Array.from({ length: 3 }, (_, i) => system.spawn<number, Msg>(system.root, {
      kind: 'worker',
      name: `worker-${i}`,
      initialState: () => 0,
      summary: (n) => (summaries++, { n }),
      handle: async (n, msg) => (msg.type === 'hold' ? (await msg.until, n) : n + 1),
    }));
    system.dispatch(workers[0]!, { type: 'hold', until: held });
    system.dispatch(workers[0]!, { type: 'noop' });
    system.dispatch(workers[0]!, { type: 'noop' });

    await eventually(async () => {
      const samples = parseExposition(await metrics.scrape());
      expect(sampleValue(samples, 'auctor_actors', { kind: 'worker' })).to.equal(3);
      expect(sampleValue(samples, 'auctor_actor_mailbox_messages', { kind: 'worker' })).to.equal(2);
      expect(sampleValue(samples, 'auctor_actor_mailbox_max_messages')).to.equal(2);
    });
    release();
    expect(summaries).to.equal(0);
  });
});
