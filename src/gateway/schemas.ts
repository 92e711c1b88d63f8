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

const ns = { type: 'integer', description: 'ns since the epoch' };
const cellShortfall = {
  type: 'object',
  required: ['cell_id', 'zone', 'lacked', 'shortfall'],
  properties: {
    cell_id: { type: 'string' },
    zone: { type: 'string' },
    lacked: {
      type: 'array',
      description: 'what the cell lacked for the work; empty when it had room (the round gave it other work first, or the cell refused the work); unreachable: it did not answer the round (zone "")',
      items: { type: 'string', enum: ['unreachable', 'evacuating', 'rootfs', 'placement_tags', 'memory', 'disk', 'containers'] },
    },
    shortfall: {
      type: 'object',
      description: 'how far the cell was from fitting, per dimension (0 where it had enough); memory includes the cell\'s proxy memory for an LRP',
      required: ['memory_mb', 'disk_mb', 'containers'],
      properties: { memory_mb: { type: 'number' }, disk_mb: { type: 'number' }, containers: { type: 'number' } },
    },
  },
};
const placementFields = {
  placement_error: { type: 'string' },
  at: ns,
  cells: { type: 'array', items: cellShortfall, description: 'the cells the auction considered, closest to fitting first; empty when the failure was not explained (no cell answered, or only the row\'s placement_error is known)' },
  omitted_cells: { type: 'integer', minimum: 0, description: 'cells left out past the cap (100)' },
};

/** The console's answers (control-inspection.ts), documented in docs/030-api.md. */
export const consoleSchemas = {
  instancePlacement: {
    type: 'object',
    description: 'why the last auction of an unplaced instance failed, cell by cell',
    required: ['process_guid', 'index', 'instance_guid', 'placement_error', 'at', 'cells', 'omitted_cells'],
    properties: { process_guid: { type: 'string' }, index: { type: 'integer' }, instance_guid: { type: 'string', description: 'the placement that failed; "" when only the row\'s placement_error is known' }, ...placementFields },
  },
  taskPlacement: {
    type: 'object',
    description: 'why the last auction of a task that never got a cell failed, cell by cell',
    required: ['task_guid', 'placement_error', 'at', 'cells', 'omitted_cells'],
    properties: { task_guid: { type: 'string' }, ...placementFields },
  },
  instanceTimeline: {
    type: 'object',
    required: ['process_guid', 'index', 'entries'],
    properties: {
      process_guid: { type: 'string' },
      index: { type: 'integer' },
      entries: {
        type: 'array',
        description: 'oldest first; the last `limit` of them',
        items: {
          type: 'object',
          required: ['at', 'kind', 'instance_guid', 'cell_id', 'detail'],
          properties: {
            at: ns,
            kind: { type: 'string', enum: ['unclaimed', 'placement_failed', 'claimed', 'running', 'crashed', 'evacuating', 'suspect', 'replaced', 'removed', 'retired'] },
            instance_guid: { type: 'string' },
            cell_id: { type: 'string' },
            detail: { type: 'string', description: 'placement_failed: the placement error; crashed: the crash reason; replaced: the instance that replaced it' },
            crash_count: { type: 'integer', description: 'crashed only' },
            restart_at: { ...ns, description: 'crashed only, when the crash policy waits: when it restarts (ns since the epoch)' },
          },
        },
      },
    },
  },
};
