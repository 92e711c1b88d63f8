/**
 * The page's HTTP client for the gateway's REST API: same origin, JSON in and out, the bearer
 * token from sessionStorage (asked once per tab by the token prompt). A 401 clears the token and
 * tells the app, which shows the prompt again.
 */

const TOKEN_KEY = 'auctor.token';

/** An answer other than 2xx: the HTTP status and the API's error body ({type, message}). */
export class ApiError extends Error {
  /** @param {number} status @param {string} type @param {string} message */
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

/** @type {() => void} */
let unauthorized = () => {};

/** @param {() => void} handler called when an answer is 401 */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

/** Tells the app a call was refused for its token (the event stream reports its 401 here too). */
export function reportUnauthorized() {
  unauthorized();
}

/** @returns {string} the token of this tab, '' when none */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

/** @param {string} value */
export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** @returns {Record<string, string>} the Authorization header when the tab has a token */
export function authHeaders() {
  const t = token();
  return t ? { authorization: `Bearer ${t}` } : {};
}

/**
 * One API call.
 * @param {string} method
 * @param {string} path e.g. `/v1/desired_lrps`
 * @param {unknown} [body] sent as JSON
 * @returns {Promise<any>} the parsed body, or undefined for an empty one
 * @throws {ApiError}
 */
export async function api(method, path, body) {
  const headers = { ...authHeaders(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  const text = await res.text();
  /** @type {any} */
  let parsed;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  if (res.status === 401) reportUnauthorized();
  if (!res.ok) {
    const error = parsed && typeof parsed === 'object' && parsed.error ? parsed.error : { type: 'HTTP', message: `${res.status} ${res.statusText}` };
    throw new ApiError(res.status, error.type, error.message);
  }
  return parsed;
}

/** @param {string} segment @returns {string} a path segment, percent-encoded */
export const enc = (segment) => encodeURIComponent(segment);

/** @param {string} path an actor path `/node/a/b` @returns {string} its URL under /v1/actors */
export const actorUrl = (path) => `/v1/actors${path.split('/').map(encodeURIComponent).join('/')}`;
