/**
 * Messages from outside the node's code (an operator's `POST /v1/actors/<path>/messages`, or
 * another node's gateway through `/cluster`): checked against the protocol the actor declared
 * (protocol-schema.ts) before anything reaches its mailbox, so a malformed message is an
 * `InvalidRequest` naming the field, never a crash in the actor. Also turns a reply into JSON
 * (errors as `{type, message}`, `undefined` as `null`).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ExternalMessage, ProtocolSchema } from './protocol-schema.js';
import { AuctorError, invalidField } from '../../base/errors.js';
import { isRecord } from '../../base/guards.js';

/** A message that passed its check, ready to deliver. */
export interface CheckedMessage {
  /** the message without `replyTo` (defaults filled in) */
  message: Record<string, unknown>;
  reply: ExternalMessage['reply'];
}

export class ActorMessageChecker {
  // strict: a typo in a declaration fails when it is compiled, not by accepting anything
  private readonly ajv = new Ajv({ strict: true, useDefaults: true, allErrors: false });
  private readonly compiled = new WeakMap<ProtocolSchema, Map<string, ValidateFunction>>();

  /**
   * Checks `body` as a message to the actor at `path` whose declared protocol is `protocol`,
   * sent with `?ask=` `ask`. Throws the `InvalidRequest` error naming the field at fault.
   */
  check(path: string, kind: string, protocol: ProtocolSchema | undefined, body: unknown, ask: boolean): CheckedMessage {
    if (!protocol || Object.keys(protocol.messages).length === 0) {
      throw new AuctorError('InvalidRequest', `actor ${path} (${kind}) accepts no messages from outside`);
    }
    if (!isRecord(body)) throw new AuctorError('InvalidRequest', 'invalid message: send a JSON object with a "type" field');
    const type = body.type;
    if (typeof type !== 'string') throw invalidField('type');
    const declared = Object.hasOwn(protocol.messages, type) ? protocol.messages[type] : undefined;
    if (!declared) {
      throw invalidField('type', `"${type}" is not a message ${kind} accepts from outside (${Object.keys(protocol.messages).join(', ')})`);
    }
    if (Object.hasOwn(body, 'replyTo')) throw invalidField('replyTo', 'the gateway fills it: send with ?ask=true');
    const validate = this.validators(protocol).get(type)!;
    if (!validate(body)) throw describe(validate.errors?.[0], type);
    if (declared.reply === 'required' && !ask) throw invalidField('ask', `${type} has a reply: send it with ?ask=true`);
    return { message: body, reply: declared.reply };
  }

  /** Compiles every message of `protocol` (once per protocol, on first use). */
  validators(protocol: ProtocolSchema): Map<string, ValidateFunction> {
    let byType = this.compiled.get(protocol);
    if (!byType) {
      byType = new Map();
      for (const [type, declared] of Object.entries(protocol.messages)) {
        byType.set(type, this.ajv.compile({
          type: 'object',
          properties: { type: { const: type }, ...declared.properties },
          required: ['type', ...(declared.required ?? [])],
          additionalProperties: false,
        }));
      }
      this.compiled.set(protocol, byType);
    }
    return byType;
  }
}

/** ajv's first error as `invalid field: <path>[: reason]`, the path dotted like the models'. */
function describe(error: ErrorObject | undefined, type: string): AuctorError {
  if (!error) return new AuctorError('InvalidRequest', `invalid message: ${type}`);
  const at = fieldPath(error.instancePath);
  const child = (name: string) => (at === '' ? name : `${at}.${name}`);
  switch (error.keyword) {
    case 'required':
      return invalidField(child(String(error.params.missingProperty)));
    case 'additionalProperties':
      return invalidField(child(String(error.params.additionalProperty)), `not a field of ${type}`);
    case 'type':
      return invalidField(at);
    default:
      return invalidField(at || 'type', error.message);
  }
}

function fieldPath(instancePath: string): string {
  let path = '';
  for (const raw of instancePath.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(segment) ? `[${segment}]` : path === '' ? segment : `.${segment}`;
  }
  return path;
}

/**
 * A reply as JSON: errors (a failed `Result`'s, say) as `{type, message}` with the error's stable
 * code, `undefined` as `null`, Maps as objects and Sets as arrays; functions are left out.
 */
export function replyToJson(value: unknown, seen = new WeakSet<object>()): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return null;
  if (typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (value instanceof Error) return { type: (value as { code?: unknown }).code ?? value.name, message: value.message };
    if (Array.isArray(value) || value instanceof Set) return [...value].map((v) => replyToJson(v, seen));
    const entries = value instanceof Map ? [...value] : Object.entries(value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      if (v === undefined || typeof v === 'function') continue;
      out[String(k)] = replyToJson(v, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
