/** `quarantine`: the records whose actor could not be brought back (`GET /v1/quarantine`). */
import type { QuarantinedRecord } from '../../actors/quarantined-records.js';
import { printJson, type ClientContext } from './context.js';
import { age, table } from './table.js';

export async function listQuarantine(ctx: ClientContext): Promise<void> {
  const records = await ctx.client.get<QuarantinedRecord[]>('/v1/quarantine');
  if (ctx.json) return printJson(ctx, records);
  ctx.out(renderQuarantine(records, ctx.now()));
}

/** `KIND KEY SINCE ERROR`, SINCE as an age; the remedy is the record's own `DELETE`. */
export function renderQuarantine(records: readonly QuarantinedRecord[], nowMs: number): string {
  return table<QuarantinedRecord>([
    { header: 'kind', value: (q) => q.kind },
    { header: 'key', value: (q) => q.key },
    { header: 'since', value: (q) => age(q.since, nowMs) },
    { header: 'error', value: (q) => q.error },
  ], records);
}
