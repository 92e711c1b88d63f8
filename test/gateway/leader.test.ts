/** The gateway's fence in a control group (src/gateway/leader.ts, standby.ts), with the leadership as plain data. */
import { expect } from 'chai';
import Fastify from 'fastify';
import { fenceRequests, registerLeader, type GatewayLeadership } from '../../src/gateway/leader.js';
import { startStandbyGateway } from '../../src/gateway/standby.js';
import type { LeaderInfo } from '../../src/runtime/cluster/leader-records.js';
import { http } from '../support/gateway-node.js';

const other: LeaderInfo = { name: 'b', api: 'http://127.0.0.1:9', listen: '127.0.0.1:7', term: 12 };

function leadership(holds: boolean, leader: LeaderInfo | undefined): GatewayLeadership & { holding: boolean; seen: LeaderInfo | undefined } {
  return { holding: holds, seen: leader, holds() { return this.holding; }, leader() { return this.seen; } };
}

describe('gateway in a control group', () => {
  it('the active serves; once it stops holding, a 2xx it was about to send for a write becomes 503, and later requests go to the new active', async () => {
    const lead = leadership(true, { name: 'a', api: 'http://127.0.0.1:8', listen: '127.0.0.1:6', term: 11 });
    const app = Fastify();
    // as the gateway does: route schemas document only
    app.setSerializerCompiler(() => (data) => JSON.stringify(data));
    fenceRequests(app, lead);
    registerLeader(app, lead);
    // the lease deadline passes while the write is in flight
    app.post('/v1/things', async (_request, reply) => {
      lead.holding = false;
      return reply.code(201).send({ ok: true });
    });
    app.get('/v1/things', async () => []);
    try {
      expect((await app.inject({ method: 'GET', url: '/v1/things' })).statusCode).to.equal(200);
      const late = await app.inject({ method: 'POST', url: '/v1/things', payload: {} });
      expect(late.statusCode).to.equal(503);
      expect(late.json()).to.have.nested.property('error.type', 'Unavailable');
      // the outcome is unknown: nothing invites the CLI to send it again
      expect(late.headers['retry-after']).to.equal(undefined);
      // no leader seen yet: 503 and Retry-After; GET /v1/leader says so too
      lead.seen = undefined;
      expect((await app.inject({ method: 'GET', url: '/v1/things' })).statusCode).to.equal(503);
      expect((await app.inject({ method: 'GET', url: '/v1/leader' })).statusCode).to.equal(503);
      lead.seen = other;
      const moved = await app.inject({ method: 'DELETE', url: '/v1/things?x=1' });
      expect([moved.statusCode, moved.headers.location]).to.deep.equal([307, 'http://127.0.0.1:9/v1/things?x=1']);
      expect((await app.inject({ method: 'GET', url: '/v1/leader' })).json()).to.deep.equal(other);
    } finally {
      await app.close();
    }
  });

  it('a read-only active serves reads and refuses every write with 503 + Retry-After before its handler runs', async () => {
    const lead = { ...leadership(false, undefined), readOnly: () => true };
    const app = Fastify();
    app.setSerializerCompiler(() => (data) => JSON.stringify(data));
    fenceRequests(app, lead);
    registerLeader(app, lead);
    let applied = 0;
    app.get('/v1/things', async () => ['t']);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) app.route({ method, url: '/v1/things', handler: async () => (applied++, {}) });
    try {
      const read = await app.inject({ method: 'GET', url: '/v1/things' });
      expect([read.statusCode, read.json()]).to.deep.equal([200, ['t']]);
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
        const write = await app.inject({ method, url: '/v1/things', payload: {} });
        expect([write.statusCode, write.headers['retry-after']], method).to.deep.equal([503, '1']);
        expect(write.json().error.message).to.contain('read-only');
      }
      expect(applied).to.equal(0);
      expect((await app.inject({ method: 'GET', url: '/v1/leader' })).statusCode).to.equal(503);
    } finally {
      await app.close();
    }
  });

  it('a standby answers ping and leader, sends the rest to the active with 307 (token checked first), 503 while none leads', async () => {
    const lead = leadership(false, other);
    const gateway = await startStandbyGateway(lead, '127.0.0.1', 0, { token: 's3cret' });
    const auth = { authorization: 'Bearer s3cret' };
    try {
      expect((await http(gateway.url, 'POST', '/v1/desired_lrps', { process_guid: 'x' })).status).to.equal(401);
      expect((await http(gateway.url, 'GET', '/v1/ping', undefined, auth)).json).to.deep.equal({ available: true });
      expect((await http(gateway.url, 'GET', '/v1/leader', undefined, auth)).json).to.deep.equal(other);
      const post = await http(gateway.url, 'POST', '/v1/desired_lrps', { process_guid: 'x' }, auth);
      expect([post.status, post.headers.location]).to.deep.equal([307, 'http://127.0.0.1:9/v1/desired_lrps']);
      lead.seen = undefined;
      const none = await http(gateway.url, 'GET', '/v1/cells', undefined, auth);
      expect([none.status, none.headers['retry-after']]).to.deep.equal([503, '1']);
    } finally {
      await gateway.close();
    }
  });
});
