/**
 * Listing bodies (`GET /v1/actual_lrps`, `/v1/desired_lrps`, `/v1/tasks`): a JSON array of rows.
 * A long one (250k ActualLRPs is ~95 MB of JSON) is not stringified in one go: that held the
 * node's event loop for over a second, every other request, timer and actor message waiting,
 * before its first byte went out. It is streamed instead, `ROWS_PER_CHUNK` rows stringified at
 * a time, yielding to the event loop between chunks and waiting for the socket to take each
 * (backpressure), so other requests are served meanwhile and sending overlaps stringifying.
 * The bytes are exactly `JSON.stringify(rows)`'s; the rows are the listing taken at the request
 * (the index's rows are immutable objects), so a change made while it streams is not in it.
 */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

/**
 * Rows stringified per turn of the event loop: ~1.5 MB of ActualLRPs, 5-15 ms. With 1000 the
 * 250k listing took ~30 % longer to send (`npm run bench -- list`, value / raw 0.17 vs 0.25).
 */
export const ROWS_PER_CHUNK = 4000;

/**
 * The body of a listing: `rows` as they are for a short one (the route's serializer sends it,
 * with a content-length), else a stream of the same bytes (chunked).
 */
export function listingBody<T>(reply: FastifyReply, rows: readonly T[], rowsPerChunk = ROWS_PER_CHUNK): readonly T[] | FastifyReply {
  if (rows.length <= rowsPerChunk) return rows;
  return reply.type('application/json; charset=utf-8').send(Readable.from(jsonArrayChunks(rows, rowsPerChunk), { objectMode: false }));
}

/** `JSON.stringify(rows)` in pieces of `rowsPerChunk` rows, a turn of the event loop between them. */
export async function* jsonArrayChunks(rows: readonly unknown[], rowsPerChunk: number): AsyncGenerator<string> {
  if (rows.length === 0) {
    yield '[]';
    return;
  }
  for (let from = 0; from < rows.length; from += rowsPerChunk) {
    if (from > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const last = from + rowsPerChunk >= rows.length;
    // '[a,b]' of this chunk's rows: its '[' opens the body or becomes the ',' after the previous
    // chunk; its ']' closes the body only after the last chunk
    const part = JSON.stringify(rows.slice(from, from + rowsPerChunk));
    yield (from === 0 ? '[' : ',') + part.slice(1, last ? part.length : -1);
  }
}
