/**
 * A flood of streams that fail the handshake, against a real remoting server on loopback: a
 * line or two in the log, every one of them in `auctor_remoting_rejected_connections_total`.
 */
import { expect } from 'chai';
import { Client, credentials, Metadata, type StatusObject } from '@grpc/grpc-js';
import { ActorSystem } from '../../../src/runtime/kernel/system.js';
import { NodeMetrics } from '../../../src/metrics/node-metrics.js';
import { encodeHandshake } from '../../../src/runtime/remoting/codec.js';
import { newNonce } from '../../../src/runtime/remoting/handshake.js';
import { CONNECT_PATH, passThrough } from '../../../src/runtime/remoting/options.js';
import { eventually } from '../../support/eventually.js';
import { parseExposition, sampleValue } from '../../support/prometheus.js';
import { startNode, type Node } from './harness.js';

const CLIENTS = 20;
const STREAMS_PER_CLIENT = 50;

describe('remoting under a flood of bad handshakes', function () {
  this.timeout(60_000);
  let node: Node;
  let system: ActorSystem;
  let metrics: NodeMetrics;
  const clients: Client[] = [];

  before(async () => {
    node = await startNode('flooded', { secret: 'the real secret' });
    system = ActorSystem.start({ name: 'flooded' });
    metrics = new NodeMetrics({ system });
    metrics.watchRemoting(node.remoting);
  });
  after(async () => {
    for (const c of clients.splice(0)) c.close();
    metrics.close();
    await node.remoting.close();
    await system.shutdown();
  });

  it('logs at most a couple of lines for 1000 wrong proofs, and counts all 1000', async () => {
    const rejected = async () => sampleValue(parseExposition(await metrics.scrape()), 'auctor_remoting_rejected_connections_total', { reason: 'bad-proof' });
    expect(await rejected()).to.equal(0);
    const stranger = { name: 'stranger', incarnation: 1, address: '127.0.0.1:1' };
    const ended: Promise<StatusObject>[] = [];
    for (let c = 0; c < CLIENTS; c++) {
      const client = new Client(node.remoting.self.address, credentials.createInsecure());
      clients.push(client);
      for (let s = 0; s < STREAMS_PER_CLIENT; s++) {
        const call = client.makeBidiStreamRequest<Buffer, Buffer>(CONNECT_PATH, passThrough, passThrough, new Metadata());
        call.on('data', () => {});
        call.on('error', () => {}); // the status says how it ended
        ended.push(new Promise((resolve) => call.on('status', resolve)));
        // a hello, then a proof made without the secret
        call.write(encodeHandshake({ kind: 'hello', node: stranger, nonce: newNonce() }));
        call.write(encodeHandshake({ kind: 'proof', proof: Buffer.alloc(32) }));
      }
    }
    await eventually(async () => expect(await rejected()).to.equal(CLIENTS * STREAMS_PER_CLIENT), { timeout: 30_000, interval: 50 });
    expect(new Set((await Promise.all(ended)).map((s) => s.details))).to.deep.equal(new Set(['dialler failed to prove the cluster secret']));

    const warnings = node.log.lines.filter((l) => l.level === 'warn');
    // one line per host and reason per 10 s: one, or two should the burst outlast a window
    expect(warnings.length, JSON.stringify(warnings)).to.be.within(1, 2);
    expect(warnings[0]).to.deep.include({ event: 'remoting.handshake-refused' });
    expect(warnings[0]!.fields).to.deep.include({ claimed: stranger, reason: 'dialler failed to prove the cluster secret', suppressed: 0 });
    expect(node.remoting.stats().rejected).to.deep.equal({ 'bad-proof': 1000, 'protocol-mismatch': 0, malformed: 0, timeout: 0, abandoned: 0 });
    expect(node.received).to.have.length(0);
    expect(node.peerEvents).to.have.length(0);
  });
});
