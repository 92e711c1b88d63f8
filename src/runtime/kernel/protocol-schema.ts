/**
 * What an actor accepts from outside the node's code: operators send JSON messages through the
 * gateway (`POST /v1/actors/<path>/messages`). Each actor kind that accepts any declares them
 * beside its protocol (`*.protocol-schema.ts`) and names the declaration in its spawn spec; an
 * actor without one accepts nothing from outside. Internal messages (ticks, cell reports,
 * convergence plans) are left out on purpose: the gateway refuses what is not listed.
 *
 * Fields are plain JSON Schema (actor-messages.ts compiles them with ajv); no ajv here, so the
 * actors only declare data.
 */
/** A JSON Schema object, as ajv reads it. */
export type JsonSchema = Readonly<Record<string, unknown>>;

export interface ExternalMessage {
  /** one line: what the actor does with it */
  description: string;
  /**
   * `required`: the message carries `replyTo`, so it must be asked (`?ask=true`); `optional`: it
   * may carry one (asked) or not (sent); `none`: it has no reply. The gateway fills `replyTo`.
   */
  reply: 'required' | 'optional' | 'none';
  /** the message's fields besides `type` and `replyTo`; no others are accepted */
  properties?: Readonly<Record<string, JsonSchema>>;
  required?: readonly string[];
}

export interface ProtocolSchema {
  /** the kind of actor that accepts these */
  kind: string;
  /** by `type` tag */
  messages: Readonly<Record<string, ExternalMessage>>;
}

/**
 * Declares the messages of protocol `M` an actor of `kind` accepts from outside; the keys are
 * checked against `M`'s type tags.
 */
export function defineProtocol<M extends { type: string }>(kind: string, messages: Partial<Record<M['type'], ExternalMessage>>): ProtocolSchema {
  return { kind, messages: messages as Record<string, ExternalMessage> };
}

/**
 * Generic schema fragments the declarations share; a fragment of the scheduler's own data (a
 * domain name) is declared beside the actor that takes it.
 */
export const field = {
  nonEmpty: { type: 'string', minLength: 1 } as JsonSchema,
  string: { type: 'string' } as JsonSchema,
  index: { type: 'integer', minimum: 0 } as JsonSchema,
  boolean: { type: 'boolean' } as JsonSchema,
  /** a request body the actor validates itself with the models' validators */
  input: { type: 'object' } as JsonSchema,
};
