/**
 * `GET /v1/events` (API.md "Events"): Server-Sent Events, `id` counting from 0 per node run,
 * `event` the type, `data` the JSON payload. `?types=a,b` keeps only those types (ids stay the
 * node's, so they skip; `?types=a&types=b` is their union); `Last-Event-ID` resumes after that
 * id while the node still keeps the events after it (410 otherwise). HEAD answers the same
 * status and headers with no body. Each subscriber has a bounded backlog: one too slow to keep
 * up is disconnected and logged (`gateway.events-subscriber-dropped`), never buffered without
 * bound. docs/031-events.md describes it for users.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../base/logger.js';
import { EVENT_TYPES, type EventType } from '../models/events.js';
import { invalidField } from '../base/errors.js';
import type { GatewayDeps } from './deps.js';
import { errorBody } from './errors.js';
import { EventJournal, type JournalEntry } from './event-journal.js';
import { listParam, wholeNumber } from './params.js';
import { formatComment } from './sse-writer.js';
import { SseStreams } from './sse-stream.js';

export interface EventStreamSettings {
  /** bytes a subscriber may have waiting beyond its socket's buffer before it is dropped */
  bufferBytes: number;
  /** a comment line this often keeps idle connections open through proxies */
  heartbeatMs: number;
  /** recent events kept for `Last-Event-ID`, by count and by bytes (below `bufferBytes`, so a replay fits) */
  keepEvents: number;
  keepBytes: number;
  /** the `retry:` hint: how long an EventSource waits before reconnecting */
  retryMs: number;
}

export const DEFAULT_EVENT_STREAM: EventStreamSettings = {
  // big enough for a burst a fast reader drains (an auction round's changes), small enough per client
  bufferBytes: 8 * 1024 * 1024,
  heartbeatMs: 15_000,
  keepEvents: 1000,
  keepBytes: 4 * 1024 * 1024,
  retryMs: 2000,
};

/**
 * Settings from the environment: `AUCTOR_EVENTS_BUFFER_BYTES`, `AUCTOR_EVENTS_HEARTBEAT_MS`,
 * `AUCTOR_EVENTS_KEEP` (count). Not flags: tuning knobs for tests and unusual deployments.
 */
export function eventStreamSettingsFromEnv(env: NodeJS.ProcessEnv): Partial<EventStreamSettings> {
  const read = (name: string): number | undefined => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : wholeNumber(value, name);
  };
  const bufferBytes = read('AUCTOR_EVENTS_BUFFER_BYTES');
  const heartbeatMs = read('AUCTOR_EVENTS_HEARTBEAT_MS');
  const keepEvents = read('AUCTOR_EVENTS_KEEP');
  return {
    ...(bufferBytes === undefined ? {} : { bufferBytes }),
    ...(heartbeatMs === undefined ? {} : { heartbeatMs: Math.max(heartbeatMs, 10) }),
    ...(keepEvents === undefined ? {} : { keepEvents }),
  };
}

/** Registers `GET /v1/events` over the node's hub; the journal lives as long as the app. */
export function registerEvents(app: FastifyInstance, deps: GatewayDeps): void {
  const settings = { ...DEFAULT_EVENT_STREAM, ...deps.eventStream };
  const journal = new EventJournal(deps.events, {
    keepEvents: settings.keepEvents,
    keepBytes: settings.keepBytes,
    onListenerError: (error) => deps.log.error({ error: (error as Error).stack ?? String(error) }, 'gateway.events-listener-failed'),
  });
  app.addHook('onClose', async () => journal.dispose());
  registerEventStream(app, journal, settings, deps.log);
}

/** The route over a given journal (tests inspect the journal's subscribers). */
export function registerEventStream(app: FastifyInstance, journal: EventJournal, settings: EventStreamSettings, log: Logger): void {
  const streams = new SseStreams();
  // the server waits for open responses when closing: end the streams first
  app.addHook('preClose', async () => streams.endAll());

  app.get<{ Querystring: { types?: string | string[] } }>('/v1/events', {
    schema: {
      summary: 'Server-Sent Events: every change, in the order it was made durable',
      tags: ['events'],
      querystring: { type: 'object', properties: { types: { type: 'string', description: 'comma list of event types to keep; may be repeated (the union)' } } },
      headers: { type: 'object', properties: { 'last-event-id': { type: 'string', description: 'resume after this id' } } },
      response: { 200: { description: 'text/event-stream', type: 'string' } },
    },
  }, (request, reply) => {
    const types = typesParam(request.query.types);
    const lastId = request.headers['last-event-id'];
    const after = typeof lastId === 'string' && lastId !== '' ? wholeNumber(lastId, 'Last-Event-ID') : undefined;
    return stream(request, reply, { types, after });
  });

  function stream(request: FastifyRequest, reply: FastifyReply, query: { types: Set<EventType> | undefined; after: number | undefined }): FastifyReply {
    const gap = query.after === undefined ? undefined : journal.gapAfter(query.after);
    if (gap) {
      const kept = gap.oldest === undefined ? 'none are kept' : `the oldest kept is ${gap.oldest}`;
      return reply.code(410).send(errorBody('ResourceNotFound', `invalid field: Last-Event-ID: the events after ${gap.after} are not kept (the next id is ${gap.next}, ${kept}); list the state again and subscribe without it`));
    }
    const preamble = `retry: ${settings.retryMs}\n${formatComment(`events of this node from id ${query.after === undefined ? journal.nextId : query.after + 1}`)}`;
    const sse = streams.open200(request, reply, preamble, {
      limitBytes: settings.bufferBytes,
      heartbeatMs: settings.heartbeatMs,
      droppedEvent: 'gateway.events-subscriber-dropped',
      fields: () => ({ next_id: journal.nextId }),
      log,
    });
    // replays the kept events after `after` synchronously: the headers are out first
    sse.onRelease(journal.subscribe((entry: JournalEntry) => {
      if (query.types === undefined || query.types.has(entry.type)) sse.send(entry);
    }, query.after));
    return reply;
  }
}

/** `?types=`: a comma list, possibly repeated, of known event types (their union); none = all. */
function typesParam(value: string | string[] | undefined): Set<EventType> | undefined {
  const names = listParam(value);
  for (const name of names) {
    if (!(EVENT_TYPES as readonly string[]).includes(name)) throw invalidField('types', `"${name}" is not an event type`);
  }
  return names.length === 0 ? undefined : new Set(names as EventType[]);
}
