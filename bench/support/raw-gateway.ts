/**
 * The raw limit of the REST desire path (bench/desire.ts): the node's own gateway
 * (`buildGateway`: body parser, JSON bounds, the route, the metrics hook) in a process of its
 * own, whose control answers a desire as soon as the model's validator accepts it (the same
 * `desireLrp` the lrps actor runs), storing nothing. Prints `{"port":N}` once listening.
 */
import { EventHub } from '../../src/actors/event-hub.js';
import type { Control } from '../../src/actors/control.js';
import { silentLogger } from '../../src/base/logger.js';
import { AuctorError } from '../../src/base/errors.js';
import { buildGateway } from '../../src/gateway/server.js';
import { desireLrp } from '../../src/models/desired-lrp.js';
import { newModificationTag } from '../../src/models/modification-tag.js';
import { NodeMetrics } from '../../src/metrics/node-metrics.js';
import type { ActorSystem } from '../../src/runtime/kernel/system.js';

const seen = new Set<string>();
let n = 0;
const control = {
  desireLrp: async (input: unknown) => {
    const result = desireLrp(input, newModificationTag(`epoch-${n++}`));
    if (!result.ok) return result;
    if (seen.has(result.value.process_guid)) return { ok: false, error: new AuctorError('ResourceExists', 'exists') };
    seen.add(result.value.process_guid);
    return result;
  },
} as unknown as Control;
const system = {} as ActorSystem;
const app = buildGateway({ node: 'raw', control, system, log: silentLogger(), events: new EventHub(), metrics: new NodeMetrics({ system }) });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
