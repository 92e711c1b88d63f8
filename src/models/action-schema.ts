/**
 * JSON Schemas of Diego's actions (`actions.ts`), describing what `action-validation.ts`
 * accepts: an envelope with exactly one non-null key naming a kind, and that kind's body.
 * Actions nest through `$ref: Action`, so the schema is recursive like the validator.
 */
import { ACTION_KINDS, type ActionKind } from './actions.js';
import { CHECKSUM_ALGORITHMS, TIMEOUT_ACTION_MS } from './action-validation.js';
import { arrayOf, componentRef, flag, integer, objectSchema, requiredText, text, textList, type JsonSchema } from './json-schema.js';
import { NOFILE } from './limits.js';

const action = componentRef('Action');
const actions = arrayOf(action, { minItems: 1 });
const logSource = { log_source: text };
const request = { nullable: true };

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

const RunAction = objectSchema({ path: requiredText, user: requiredText }, {
  args: textList,
  dir: text,
  env: arrayOf(componentRef('EnvVar')),
  resource_limits: objectSchema({}, { nofile: integer(NOFILE, 'most open files (ulimit -n)') }, request),
  suppress_log_output: flag,
  ...logSource,
}, request);

const DownloadAction: JsonSchema = {
  ...objectSchema({ from: requiredText, to: requiredText, user: requiredText }, {
    artifact: text,
    cache_key: text,
    checksum_algorithm: text,
    checksum_value: text,
    ...logSource,
  }, { ...request, description: 'checksum_algorithm and checksum_value come together or not at all' }),
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

const TimeoutAction = objectSchema({ action, timeout_ms: integer(TIMEOUT_ACTION_MS) }, logSource, request);
const ListAction = objectSchema({ actions }, logSource, request);
const TryAction = objectSchema({ action }, logSource, request);
const EmitProgressAction = objectSchema({ action }, {
  start_message: text,
  success_message: text,
  failure_message_prefix: text,
  ...logSource,
}, request);

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
