/**
 * The gateway client the `auctor` commands share: JSON in and out, the bearer token, a timeout
 * per request, and errors a person can act on. An API error body `{"error":{type,message}}`
 * becomes an `ApiError` carrying that message (exit 1); a gateway that cannot be reached
 * becomes one saying so, with the URL tried.
 */

/** Per request; streams (events, following logs) run until the caller aborts them. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** An error the gateway answered with, or a failure to reach it: `auctor` exits 1 with its message. */
export class ApiError extends Error {
  constructor(
    message: string,
    /** BBS error type (`ResourceNotFound`, ...), or `Unreachable` when no answer came */
    readonly type: string,
    /** HTTP status; 0 when no answer came */
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ClientOptions {
  /**
   * `http://host:port`; a bare `host:port` (the form `auctor start --api` takes) gets `http://`.
   * A comma list names the members of a control group: the client tries them in turn while one
   * cannot be reached, follows a standby's 307 to the active, and waits out a 503 with
   * Retry-After (an election under way).
   */
  api: string;
  token?: string;
  timeoutMs?: number;
}

/** `127.0.0.1:8888` → `http://127.0.0.1:8888`; a trailing slash is dropped. */
export function normalizeApiUrl(api: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(api) ? api : `http://${api}`;
  return withScheme.replace(/\/+$/, '');
}

/** Redirects, unreachable members and elections one request goes through before it gives up. */
const MAX_HOPS = 10;
/** The longest a request waits between two tries while a control group has no active. */
const MAX_RETRY_WAIT_MS = 1000;

export class ApiClient {
  /** the gateway this client asks: the first of `--api`, then the last that answered */
  url: string;
  private readonly urls: string[];
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: ClientOptions) {
    this.urls = options.api.split(',').map((a) => a.trim()).filter(Boolean).map(normalizeApiUrl);
    if (this.urls.length === 0) this.urls.push(normalizeApiUrl(options.api));
    this.url = this.urls[0]!;
    this.token = options.token || undefined;
    this.timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  /** `GET path`: the parsed JSON body. Throws `ApiError` on a non-2xx answer. */
  get<T>(path: string): Promise<T> {
    return this.json<T>('GET', path);
  }

  /** `POST path` with a JSON body: the parsed answer, or undefined for an empty one (202/204). */
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.json<T>('POST', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PATCH', path, body);
  }

  delete(path: string): Promise<void> {
    return this.json<void>('DELETE', path);
  }

  /**
   * `GET path` whose body the caller reads as it arrives (SSE). No timeout: it ends when
   * `signal` aborts or the gateway closes it. Throws `ApiError` on a non-2xx answer.
   */
  async stream(path: string, signal: AbortSignal): Promise<Response> {
    const response = await this.send('GET', path, undefined, signal);
    if (!response.ok) throw await errorFrom(response);
    return response;
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    const response = await this.send(method, path, body, signal);
    if (!response.ok) throw await errorFrom(response);
    const text = await this.read(response);
    if (text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(`the gateway at ${this.url} answered ${method} ${path} with a body that is not JSON`, 'InvalidResponse', response.status);
    }
  }

  /**
   * One request, following a control group's active: redirects are followed here, not by fetch,
   * which would drop the token on the way to another port.
   */
  private async send(method: string, path: string, body: unknown, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const unreachable = new Set<string>();
    let target = this.url + path;
    for (let hop = 0; ; hop++) {
      const base = new URL(target).origin;
      let response: Response;
      try {
        response = await fetch(target, { method, headers, signal, redirect: 'manual', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      } catch (error) {
        unreachable.add(base);
        const next = this.urls.find((u) => !unreachable.has(new URL(u).origin));
        if (signal.aborted || next === undefined || hop >= MAX_HOPS || !safeToResend(method, error)) throw this.unreachable(error, base);
        target = next + path;
        continue;
      }
      const location = response.headers.get('location');
      if ((response.status === 307 || response.status === 308) && location && hop < MAX_HOPS) {
        await response.body?.cancel();
        target = new URL(location, target).toString();
        continue;
      }
      const retryAfter = Number(response.headers.get('retry-after'));
      if (response.status === 503 && retryAfter > 0 && hop < MAX_HOPS) {
        await response.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, Math.min(retryAfter * 1000, MAX_RETRY_WAIT_MS)));
        if (signal.aborted) return response;
        target = this.urls[(this.urls.indexOf(base) + 1) % this.urls.length]! + path;
        continue;
      }
      this.url = base;
      return response;
    }
  }

  private async read(response: Response): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      throw this.unreachable(error);
    }
  }

  private unreachable(error: unknown, url = this.url): ApiError {
    const err = error as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError') {
      return new ApiError(`the gateway at ${url} did not answer within ${this.timeoutMs} ms`, 'Unreachable', 0);
    }
    if (err.name === 'AbortError') return new ApiError('aborted', 'Aborted', 0);
    // fetch reports `TypeError: fetch failed`; the reason (ECONNREFUSED ...) is its cause
    const reason = err.cause?.message ?? err.cause?.code ?? err.message;
    return new ApiError(`cannot reach the gateway at ${url}: ${reason}`, 'Unreachable', 0);
  }
}

/** Errors that mean the request never reached a gateway. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * Whether a request that failed may go to the next gateway: one that never left, or one whose
 * repetition changes nothing more (GET, HEAD, PUT, DELETE). A POST or PATCH cut after it was sent
 * may have been applied: it is reported, not repeated.
 */
function safeToResend(method: string, error: unknown): boolean {
  if (['GET', 'HEAD', 'PUT', 'DELETE'].includes(method)) return true;
  const code = (error as { cause?: { code?: string } }).cause?.code;
  return code !== undefined && NOT_SENT.has(code);
}

/** The `{"error":{type,message}}` body as an `ApiError`; a body of another shape is described by status. */
async function errorFrom(response: Response): Promise<ApiError> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // the status alone still says what happened
  }
  try {
    const body = JSON.parse(text) as { error?: { type?: unknown; message?: unknown } };
    if (body.error && typeof body.error.message === 'string') {
      return new ApiError(body.error.message, typeof body.error.type === 'string' ? body.error.type : 'Error', response.status);
    }
  } catch {
    // not JSON: fall through
  }
  const detail = text.trim().slice(0, 200);
  return new ApiError(`HTTP ${response.status} ${response.statusText}${detail ? `: ${detail}` : ''}`, 'Error', response.status);
}
