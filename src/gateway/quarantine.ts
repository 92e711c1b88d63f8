/**
 * `GET /v1/quarantine`: the records whose actor could not be brought back (docs/020-control.md
 * "Quarantine"): kind, key, error, since. Read from the kernel's registry, so it answers however
 * the actors are doing; `DELETE` on the record's own route removes one.
 */
import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from './deps.js';
import { ref } from './schemas.js';

export function registerQuarantine(app: FastifyInstance, { control }: GatewayDeps): void {
  app.get('/v1/quarantine', {
    schema: { summary: 'Quarantined records: skipped by listings, 409 on their own routes until deleted', tags: ['node'], response: { 200: { type: 'array', items: ref('QuarantinedRecord') } } },
  }, async () => control.quarantined());
}
