/**
 * `GET /v1/actual_lrps/:process_guid/logs` and `GET /v1/tasks/:task_guid/logs`: what the
 * containers printed, from the node's LogBuffer. Without `follow`, a JSON array of the last
 * `tail` lines (default 100); with `follow=true`, SSE: those lines, then each new one as an
 * event `log`, until the client goes. A follower too slow to read is cut off like an events
 * subscriber (bounded, never buffered without limit).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { logKey, type LogLine } from '../actors/log-buffer.js';
import type { GatewayDeps } from './deps.js';
import { notFound, sendError } from './errors.js';
import { flagParam, optionalWholeNumber } from './params.js';
import { invalidField } from '../base/errors.js';
import { formatComment, formatEvent, sseFrame } from './sse-writer.js';
import { SseStreams } from './sse-stream.js';

const DEFAULT_TAIL = 100;
const MAX_TAIL = 10_000;
const FOLLOWER_LIMIT_BYTES = 1024 * 1024;
const HEARTBEAT_MS = 15_000;

type LogsQuery = { follow?: string; tail?: string; index?: string };

const logLineSchema = {
  type: 'object',
  properties: {
    at: { type: 'integer', description: 'ms since the epoch' },
    source: { type: 'string' },
    stream: { enum: ['stdout', 'stderr'] },
    line: { type: 'string' },
    index: { type: 'integer' },
    instance_guid: { type: 'string' },
  },
};
const querystring = (withIndex: boolean) => ({
  type: 'object',
  properties: {
    follow: { type: 'boolean' },
    tail: { type: 'integer', minimum: 0, maximum: MAX_TAIL, default: DEFAULT_TAIL },
    ...(withIndex ? { index: { type: 'integer', minimum: 0 } } : {}),
  },
});

export function registerLogs(app: FastifyInstance, deps: GatewayDeps): void {
  const streams = new SseStreams();
  app.addHook('preClose', async () => streams.endAll());

  app.get<{ Params: { process_guid: string }; Querystring: LogsQuery }>('/v1/actual_lrps/:process_guid/logs', {
    schema: { summary: "An LRP's output (all instances, across restarts); SSE with follow=true", tags: ['lrps'], querystring: querystring(true), response: { 200: { type: 'array', items: logLineSchema } } },
  }, async (request, reply) => {
    const guid = request.params.process_guid;
    const key = logKey({ kind: 'lrp', process_guid: guid, index: 0, instance_guid: '' });
    const index = optionalWholeNumber(request.query.index, 'index');
    const known = async () => (await deps.control.getLrp(guid)) !== undefined;
    return serve(request, reply, key, index, known, `desired lrp ${guid}`);
  });

  app.get<{ Params: { task_guid: string }; Querystring: LogsQuery }>('/v1/tasks/:task_guid/logs', {
    schema: { summary: "A task's output; SSE with follow=true", tags: ['tasks'], querystring: querystring(false), response: { 200: { type: 'array', items: logLineSchema } } },
  }, async (request, reply) => {
    const guid = request.params.task_guid;
    const known = async () => (await deps.control.getTask(guid)) !== undefined;
    return serve(request, reply, logKey({ kind: 'task', task_guid: guid }), undefined, known, `task ${guid}`);
  });

  async function serve(request: FastifyRequest<{ Querystring: LogsQuery }>, reply: FastifyReply, key: string, index: number | undefined, known: () => Promise<boolean>, what: string) {
    const follow = flagParam(request.query.follow, 'follow');
    const tail = optionalWholeNumber(request.query.tail, 'tail') ?? DEFAULT_TAIL;
    if (tail > MAX_TAIL) throw invalidField('tail', `at most ${MAX_TAIL}`);
    const lines = deps.logs?.lines(key, tail, index) ?? [];
    // lines outlive their LRP or task for a while; without either there is nothing to show
    if (lines.length === 0 && !(await known())) return sendError(reply, notFound(what));
    if (!follow) return lines;
    return followLogs(request, reply, key, index, lines);
  }

  function followLogs(request: FastifyRequest, reply: FastifyReply, key: string, index: number | undefined, backlog: LogLine[]): FastifyReply {
    let id = 0;
    const sse = streams.open200(request, reply, formatComment(`logs of ${key}`), {
      limitBytes: FOLLOWER_LIMIT_BYTES,
      heartbeatMs: HEARTBEAT_MS,
      droppedEvent: 'gateway.logs-follower-dropped',
      fields: () => ({ key }),
      log: deps.log,
    });
    const send = (line: LogLine) => {
      if (index === undefined || line.index === index) sse.send(sseFrame(formatEvent(id++, 'log', JSON.stringify(line))));
    };
    for (const line of backlog) send(line);
    if (deps.logs) sse.onRelease(deps.logs.follow(key, send));
    return reply;
  }
}
