import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import type { Control } from '../../src/actors/control.js';
import { EventHub } from '../../src/actors/event-hub.js';
import type { ActorSystem } from '../../src/runtime/kernel/system.js';
import { silentLogger } from '../../src/base/logger.js';
import { buildGateway } from '../../src/gateway/server.js';

describe('gateway: a path that is not percent-encoded UTF-8', () => {
  let app: FastifyInstance;
  before(async () => {
    // the router refuses these before any handler: a control side that answers nothing is enough
    app = buildGateway({ node: 'n1', control: {} as Control, system: {} as ActorSystem, log: silentLogger(), events: new EventHub() });
    await app.ready();
  });
  after(() => app.close());

  const inject = async (method: 'GET' | 'PUT' | 'POST', url: string) => {
    const answer = await app.inject({ method, url, ...(method === 'GET' ? {} : { payload: '{}', headers: { 'content-type': 'application/json' } }) });
    return { status: answer.statusCode, body: answer.json() };
  };

  it('is a 400 in Auctor\'s error shape naming the path parameter', async () => {
    // the UTF-8 bytes of a lone surrogate, as a client that encodes one sends them
    expect(await inject('PUT', '/v1/domains/%ED%A0%80')).to.deep.equal({
      status: 400,
      body: { error: { type: 'InvalidRequest', message: 'invalid field: domain: "%ED%A0%80" is not percent-encoded UTF-8' } },
    });
    expect((await inject('GET', '/v1/desired_lrps/%E0?x=1')).body.error.message).to.equal('invalid field: process_guid: "%E0" is not percent-encoded UTF-8');
    expect((await inject('GET', '/v1/actual_lrps/web/index/%FF')).body.error.message).to.equal('invalid field: index: "%FF" is not percent-encoded UTF-8');
    expect((await inject('POST', '/v1/actors/n1/%C0/messages')).body.error.message).to.equal('invalid field: path: "%C0" is not percent-encoded UTF-8');
  });
});
