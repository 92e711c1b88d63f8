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

/**
 * The error answers of a route, by status, each an `Error` body. 503 is always among them: every
 * route asks the control actors, which may not answer in time.
 */
export function errorResponses(...statuses: number[]): Record<number, { $ref: string }> {
  return Object.fromEntries([...statuses, 503].map((status) => [status, errorResponse]));
}

export const schemaRefs = {
  /** the error statuses a mutating route can answer */
  errors: errorResponses(400, 404, 409),
  /** a route with a JSON body: malformed JSON or an invalid field (400), a body over the limit (413) */
  bodyErrors: errorResponses(400, 413),
  /** a path naming one record that may not exist */
  notFound: errorResponses(404),
  /** every other route */
  unavailable: errorResponses(),
  /** the answer of a route that answers 204 with no body */
  noContent: { type: 'null' },
  /** an instance index in a path: a whole number */
  indexParams: { type: 'object', properties: { index: { type: 'integer', minimum: 0 } } },
};

// what `/openapi.json` reads from each route besides its JSON Schemas
declare module 'fastify' {
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: string[];
    /** OpenAPI's operationId; derived from the verb and path when absent */
    operationId?: string;
  }
}
