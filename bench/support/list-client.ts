/**
 * The client of bench/list.ts, in a worker thread (its own event loop, so its reading and parsing
 * do not count as the server's stalls): GETs `url`, timing the first and last byte and the parse,
 * while pinging `pingUrl` every 5 ms; the longest ping is what another client waited.
 */
import { request } from 'node:http';
import { parentPort } from 'node:worker_threads';

export interface ListRequest {
  url: string;
  pingUrl: string;
}

export interface ListResult {
  status: number;
  bytes: number;
  first_byte_ms: number;
  total_ms: number;
  parse_ms: number;
  rows: number;
  ping_max_ms: number;
  pings: number;
}

function get(url: string, onFirstByte?: () => void): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    // a fresh connection each (as the scale bench's client): no idle keep-alive socket to race the server's close
    const req = request(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let first = true;
      res.on('data', (chunk: Buffer) => {
        if (first) onFirstByte?.();
        first = false;
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function list({ url, pingUrl }: ListRequest): Promise<ListResult> {
  let done = false;
  let pingMax = 0;
  let pings = 0;
  const pinger = (async () => {
    while (!done) {
      const start = performance.now();
      await get(pingUrl);
      pingMax = Math.max(pingMax, performance.now() - start);
      pings++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  const start = performance.now();
  let firstByte = 0;
  const { status, body } = await get(url, () => (firstByte = performance.now() - start));
  const total = performance.now() - start;
  done = true;
  await pinger;
  const parseStart = performance.now();
  const rows = (JSON.parse(body.toString('utf8')) as unknown[]).length;
  return { status, bytes: body.length, first_byte_ms: firstByte, total_ms: total, parse_ms: performance.now() - parseStart, rows, ping_max_ms: pingMax, pings };
}

parentPort!.on('message', (message: ListRequest) => {
  list(message).then((result) => parentPort!.postMessage(result), (error: Error) => parentPort!.postMessage({ error: error.message }));
});
