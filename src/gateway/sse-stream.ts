/**
 * One SSE response from open to end, shared by `/v1/events` and the logs' `follow=true`: the
 * hijacked reply and its headers, a bounded writer that cuts a reader too slow to keep up, a
 * heartbeat comment, and one `release` however the stream ends (client gone, overflow, gateway
 * closing). `SseStreams` keeps the open ones so the gateway can end them before it closes.
 * A HEAD request gets the stream's status and headers and then the end, as Fastify answers HEAD
 * for any other GET: a stream never starts for it.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Logger } from '../base/logger.js';
import { formatComment, sseFrame, SseWriter, type SseFrame } from './sse-writer.js';

export interface SseStreamOptions {
  /** unread bytes a reader may leave queued before it is cut */
  limitBytes: number;
  heartbeatMs: number;
  /** the log event naming a cut reader, e.g. `gateway.events-subscriber-dropped` */
  droppedEvent: string;
  /** fields logged with it */
  fields?: () => Record<string, unknown>;
  log: Logger;
}

export interface SseStream {
  /** Sends or queues a frame; false once the stream is over. */
  send(frame: SseFrame): boolean;
  /** Runs `dispose` when the stream ends (unsubscribe from what feeds it). */
  onRelease(dispose: () => void): void;
}

/** The open streams of one gateway. */
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' };

/** What a HEAD request gets: a stream that is already over. */
const ENDED: SseStream = {
  send: () => false,
  onRelease: (dispose) => dispose(),
};

export class SseStreams {
  private readonly open = new Map<ServerResponse, () => void>();

  /** Hijacks `reply`, writes the headers and `preamble`, and keeps the stream until it ends. */
  open200(request: FastifyRequest, reply: FastifyReply, preamble: string, options: SseStreamOptions): SseStream {
    const res = reply.raw;
    if (request.method === 'HEAD') {
      // node sends no body for HEAD and flushes the headers only at the end: without it the client waits forever
      reply.hijack();
      res.writeHead(200, SSE_HEADERS);
      res.end();
      return ENDED;
    }
    const disposers: Array<() => void> = [];
    const writer = new SseWriter(res, options.limitBytes, (queuedBytes) => {
      options.log.warn({ remote: request.ip, limit_bytes: options.limitBytes, queued_bytes: queuedBytes, ...options.fields?.() }, options.droppedEvent);
      // destroy, not end: ending would wait behind everything the client has not read
      res.destroy();
    });
    reply.hijack();
    res.writeHead(200, SSE_HEADERS);
    writer.send(sseFrame(preamble));
    const heartbeat = setInterval(() => {
      if (!writer.backlogged) writer.send(sseFrame(formatComment('heartbeat')));
    }, options.heartbeatMs);
    heartbeat.unref();
    const release = () => {
      if (!this.open.delete(res)) return;
      clearInterval(heartbeat);
      writer.stop();
      for (const dispose of disposers.splice(0)) dispose();
    };
    this.open.set(res, release);
    res.once('close', release);
    // a write racing the client's disconnect must not become an unhandled 'error'
    res.on('error', () => {});
    const stream: SseStream = {
      send: (frame) => writer.send(frame),
      onRelease: (dispose) => {
        // the client may have gone while the request went through the hooks: 'close' has passed
        if (!this.open.has(res) || res.destroyed || res.socket === null || res.socket.destroyed) {
          release();
          dispose();
        } else disposers.push(dispose);
      },
    };
    return stream;
  }

  /** Ends every open stream (the server waits for open responses when closing). */
  endAll(): void {
    for (const [res, release] of [...this.open]) {
      release();
      res.end();
      setTimeout(() => res.destroy(), 1000).unref();
    }
  }
}
