/**
 * Server-Sent Events over `fetch`, so the bearer token goes in the Authorization header like
 * every other call (an EventSource cannot send headers). A dropped stream reconnects: with
 * `resume`, it sends `Last-Event-ID` (docs/031-events.md) and gets what it missed; a 410 (those
 * events are no longer kept), or a reconnect that had to wait for the node (it may have
 * restarted, and ids restart with it), subscribes afresh and tells the owner (`onOpen` with
 * `resumed: false`), which lists the state again.
 */
import { authHeaders, reportUnauthorized } from './api.js';

/** @typedef {{id?: string, event: string, data: string}} SseEvent */

/**
 * Splits a byte stream into SSE events (the WHATWG rules: `field: value` lines, a blank line
 * ends an event, `:` starts a comment).
 * @param {ReadableStream<Uint8Array>} body
 * @param {(event: SseEvent) => void} onEvent
 */
export async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(/** @type {TransformStream<Uint8Array, string>} */ (new TextDecoderStream())).getReader();
  let buffer = '';
  /** @type {{id?: string, event?: string, data: string[]}} */
  let current = { data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') {
        if (current.data.length > 0) onEvent({ id: current.id, event: current.event ?? 'message', data: current.data.join('\n') });
        current = { data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') current.data.push(val);
      else if (field === 'event') current.event = val;
      else if (field === 'id') current.id = val;
    }
  }
}

/**
 * @typedef {object} StreamHandlers
 * @property {(event: SseEvent) => void} onEvent
 * @property {(info: {resumed: boolean}) => void} [onOpen] the stream answered 200; `resumed`
 *   false means it starts afresh, so the owner lists the state again
 * @property {(connected: boolean) => void} [onStatus]
 * @property {boolean} [resume] reconnect with Last-Event-ID (the events stream), else afresh
 */

/**
 * Follows `path` until the returned function is called.
 * @param {string} path
 * @param {StreamHandlers} handlers
 * @returns {() => void} stop
 */
export function follow(path, handlers) {
  /** @type {string | undefined} */
  let lastId;
  let stopped = false;
  let controller = new AbortController();
  /** @param {number} ms */
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  (async () => {
    let failures = 0;
    while (!stopped) {
      controller = new AbortController();
      /** @type {Record<string, string>} */
      const headers = { ...authHeaders(), accept: 'text/event-stream' };
      if (handlers.resume && lastId !== undefined) headers['last-event-id'] = lastId;
      /** @type {Response} */
      let res;
      try {
        res = await fetch(path, { headers, signal: controller.signal, cache: 'no-store' });
      } catch {
        if (stopped) return;
        // the node did not answer: it may have restarted, and its ids with it
        lastId = undefined;
        failures += 1;
        handlers.onStatus?.(false);
        await wait(Math.min(250 * 2 ** failures, 5000));
        continue;
      }
      if (res.status === 401) {
        // the token was refused: the app asks for it again and connects anew
        stopped = true;
        handlers.onStatus?.(false);
        reportUnauthorized();
        return;
      }
      if (res.status === 410) {
        // the events after lastId are no longer kept: start afresh (the owner lists again)
        lastId = undefined;
        continue;
      }
      if (!res.ok || !res.body) {
        failures += 1;
        handlers.onStatus?.(false);
        await wait(Math.min(250 * 2 ** failures, 5000));
        continue;
      }
      failures = 0;
      handlers.onOpen?.({ resumed: headers['last-event-id'] !== undefined });
      handlers.onStatus?.(true);
      try {
        await readEvents(res.body, (event) => {
          if (event.id !== undefined) lastId = event.id;
          handlers.onEvent(event);
        });
      } catch {
        // dropped mid-stream: reconnect and resume after lastId
      }
      if (stopped) return;
      handlers.onStatus?.(false);
      await wait(250);
    }
  })();

  return () => {
    stopped = true;
    controller.abort();
  };
}
