/**
 * JSON Schemas of Diego's actions (`actions.ts`), which validate them (`action-validation.ts`):
 * an envelope with exactly one non-null key naming a kind, and that kind's body. Actions nest
 * through `$ref: Action`, so the schema is recursive like an action tree.
 *
 * | kind | rules |
 * |---|---|
 * | envelope | an object with exactly one non-null key, a known kind |
 * | `run` | `path`, `user` required; `args` strings; `env` entries named; `resource_limits.nofile` 0..1048576 |
 * | `download` | `from`, `to`, `user` required; `checksum_algorithm` md5/sha1/sha256 and `checksum_value` together |
 * | `timeout` | `action` valid; `timeout_ms` 1..2^31-1 |
 * | `serial`, `parallel`, `codependent` | `actions` a non-empty list of valid actions |
 * | `try`, `emit_progress` | `action` valid |
 */
import { ACTION_KINDS, type ActionKind } from './actions.js';
import { arrayOf, componentRef, flag, integer, objectSchema, requiredText, text, textList, type JsonSchema } from './json-schema.js';
import { MAX_TIMER_MS, NOFILE } from './limits.js';

/** `timeout.timeout_ms`: at least 1, and a timer's most. */
export const TIMEOUT_ACTION_MS = { min: 1, max: MAX_TIMER_MS };
export const CHECKSUM_ALGORITHMS: readonly string[] = ['md5', 'sha1', 'sha256'];

const action = componentRef('Action');
const actions = arrayOf(action, { minItems: 1 });
const request = { nullable: true };

/** A kind's body: `log_source` (any kind may have one) listed first, then its own fields. */
function body(required: Record<string, JsonSchema>, optional: Record<string, JsonSchema> = {}, description?: string): JsonSchema {
  const schema = objectSchema(required, { log_source: text, ...optional }, { ...request, ...(description !== undefined ? { description } : {}) });
  const { log_source: logSource, ...fields } = schema['properties'] as Record<string, JsonSchema>;
  return { ...schema, properties: { log_source: logSource, ...fields } };
}

/** Component names of each kind's body. */
const BODY_NAMES = {
  run: 'RunAction',
  download: 'DownloadAction',
  timeout: 'TimeoutAction',
  serial: 'SerialAction',
  parallel: 'ParallelAction',
  codependent: 'CodependentAction',
  try: 'TryAction',
  emit_progress: 'EmitProgressAction',
} as const satisfies Record<ActionKind, string>;

export const EnvVarSchema = objectSchema({ name: requiredText }, { value: text }, { ...request, description: 'an absent or null value is ""' });

const Action: JsonSchema = {
  type: 'object',
  description: `exactly one key, naming the kind: ${ACTION_KINDS.join(', ')}; other keys may only be null`,
  oneOf: ACTION_KINDS.map((kind) => ({
    required: [kind],
    properties: { [kind]: componentRef(BODY_NAMES[kind]) },
    additionalProperties: { type: 'null' },
  })),
};

const RunAction = body({ path: requiredText, user: requiredText }, {
  args: textList,
  dir: text,
  env: arrayOf(componentRef('EnvVar')),
  resource_limits: objectSchema({}, { nofile: integer(NOFILE, 'most open files (ulimit -n)') }, request),
  suppress_log_output: flag,
});

const DownloadAction: JsonSchema = {
  ...body({ from: requiredText, to: requiredText, user: requiredText }, {
    artifact: text,
    cache_key: text,
    checksum_algorithm: text,
    checksum_value: text,
  }, 'checksum_algorithm and checksum_value come together or not at all'),
  // a non-empty algorithm or value requires both, the algorithm one of the known ones
  if: {
    anyOf: [
      { required: ['checksum_algorithm'], properties: { checksum_algorithm: requiredText } },
      { required: ['checksum_value'], properties: { checksum_value: requiredText } },
    ],
  },
  then: {
    required: ['checksum_algorithm', 'checksum_value'],
    properties: { checksum_algorithm: { enum: [...CHECKSUM_ALGORITHMS] }, checksum_value: requiredText },
  },
};

const TimeoutAction = body({ action, timeout_ms: integer(TIMEOUT_ACTION_MS) });
const ListAction = body({ actions });
const TryAction = body({ action });
const EmitProgressAction = body({ action }, { start_message: text, success_message: text, failure_message_prefix: text });

/** Every action schema, by component name. */
export const ACTION_SCHEMAS = {
  Action,
  RunAction,
  DownloadAction,
  TimeoutAction,
  SerialAction: ListAction,
  ParallelAction: ListAction,
  CodependentAction: ListAction,
  TryAction,
  EmitProgressAction,
  EnvVar: EnvVarSchema,
} satisfies Record<string, JsonSchema>;
