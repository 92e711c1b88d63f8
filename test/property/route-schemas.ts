/**
 * The schemas the REST property tests need besides the served components: a route's path and
 * body together (`PUT /v1/domains/:domain`), each actor message as its actor declares it, and
 * the rules the server keeps where JSON Schema cannot say them.
 */
import { intersect, type Schema } from '../support/schema-arbitrary.js';
import type { PropertyNode } from './rest-node.js';

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

/** JSON nesting: the top object or list is level 1. */
function jsonDepth(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  return 1 + Math.max(0, ...Object.values(value).map(jsonDepth));
}

/**
 * The rules docs/030 ("Bounds", "Schemas") lists as the server's where JSON Schema cannot say
 * them, which a body the property calls valid must keep too: at most 32 levels; no key
 * `__proto__`; a crash policy's `backoff_ms` at most its `max_backoff_ms`; a static
 * `metric_tags.source_id` equal to `metrics_guid`. (Sizes in bytes and URL parsing are kept by
 * the generator: its strings are short and its callback URLs are URLs.)
 */
export function withinServerRules(body: unknown): boolean {
  if (jsonDepth(body) > 32) return false;
  const records: Array<Record<string, any>> = [];
  const collect = (value: unknown) => {
    if (typeof value !== 'object' || value === null) return;
    if (!Array.isArray(value)) records.push(value as Record<string, any>);
    Object.values(value).forEach(collect);
  };
  collect(body);
  return records.every((r) => {
    if (Object.hasOwn(r, '__proto__')) return false;
    const policy = r.crash_policy;
    if (typeof policy?.backoff_ms === 'number' && typeof policy?.max_backoff_ms === 'number' && policy.backoff_ms > policy.max_backoff_ms) return false;
    const source = r.metric_tags?.source_id?.static;
    return typeof source !== 'string' || typeof r.metrics_guid !== 'string' || r.metrics_guid === '' || source === r.metrics_guid;
  });
}

export function messageSchemaName(type: string): string {
  return `Message_${type.replace('/', '_')}`;
}

/**
 * The synthetic schemas: `DomainPut` ({domain, body} of `PUT /v1/domains/:domain`), and each
 * message as its actor declares it (`accepts`), its `input`/`body` narrowed to the model's schema.
 */
export async function defineRouteSchemas(node: PropertyNode): Promise<void> {
  const domainName = node.components.DesiredLRPRequest!.properties.domain;
  const extra: Record<string, Schema> = {
    DomainPut: { type: 'object', required: ['domain'], properties: { domain: domainName, body: ref('DomainRequest') } },
  };
  for (const [actor, type, key, model] of [['lrps', 'lrps/desire', 'input', 'DesiredLRPRequest'], ['tasks', 'tasks/desire', 'input', 'TaskRequest'], ['domains', 'domains/upsert', 'body', 'DomainRequest']] as const) {
    const accepts = (await node.call('GET', `/v1/actors/${node.name}/control/${actor}`)).json.accepts as Array<{ type: string; properties: Record<string, Schema>; required?: string[] }>;
    const declared = accepts.find((m) => m.type === type)!;
    extra[messageSchemaName(type)] = {
      type: 'object',
      required: ['type', ...(declared.required ?? [])],
      properties: { type: { const: type }, ...declared.properties, [key]: intersect(declared.properties[key]!, ref(model), node.components) },
      additionalProperties: false,
    };
  }
  node.define(extra);
}
