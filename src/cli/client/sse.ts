/** Following a gateway's SSE stream from the command line (the reader itself: src/base/sse.ts). */
import { readSse, type SseMessage } from '../../base/sse.js';
import type { ClientContext } from './context.js';
import { ApiError } from './http.js';

/**
 * Reads the SSE stream at `path` until Ctrl-C (SIGINT/SIGTERM), which is success. A stream the
 * gateway ends or that breaks is an `ApiError` (exit 1) naming `what`.
 */
export async function followSse(ctx: ClientContext, path: string, what: string, onMessage: (message: SseMessage) => void): Promise<void> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const response = await ctx.client.stream(path, abort.signal);
    await readSse(response.body!, onMessage);
  } catch (error) {
    if (abort.signal.aborted) return;
    if (error instanceof ApiError) throw error;
    throw new ApiError(`the ${what} from ${ctx.client.url} broke: ${(error as Error).message}`, 'Unreachable', 0);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  if (!abort.signal.aborted) throw new ApiError(`the gateway at ${ctx.client.url} closed the ${what}`, 'Unavailable', 0);
}
