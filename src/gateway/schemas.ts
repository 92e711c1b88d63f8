/**
 * The route schemas' building blocks. Models' JSON Schemas live in `src/models/schemas.ts` (next
 * to the validators they describe); routes refer to them by name and `/openapi.json` lists them
 * as components. Fastify does not validate with them: the models' validators do, inside the
 * control actors, so a message from any path gets the same checks and the same messages.
 */
import { MODEL_SCHEMAS } from '../models/schemas.js';

export type SchemaName = keyof typeof MODEL_SCHEMAS;

/** A reference to a model's schema, as OpenAPI writes it. */
export function ref(name: SchemaName): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

const errorResponse = ref('Error');

export const schemaRefs = {
  /** the error statuses every mutating route can answer */
  errors: { 400: errorResponse, 404: errorResponse, 409: errorResponse, 503: errorResponse },
};

// what `/openapi.json` reads from each route besides its JSON Schemas
declare module 'fastify' {
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: string[];
  }
}
