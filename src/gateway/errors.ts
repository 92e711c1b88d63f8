/**
 * Error bodies and statuses (API.md "REST gateway"): every failure is an HTTP status and
 * `{"error": {"type", "message"}}` with BBS's error types. The mapping from an error's stable
 * `code` to a status lives here and nowhere else.
 */
import type { FastifyReply } from 'fastify';
import { AuctorError, type ErrorCode } from '../base/errors.js';

export interface ErrorBody {
  error: { type: string; message: string };
}

const STATUS: Record<ErrorCode, number> = {
  InvalidRequest: 400,
  InvalidJSON: 400,
  Unauthorized: 401,
  ResourceNotFound: 404,
  ResourceExists: 409,
  ResourceConflict: 409,
  InvalidStateTransition: 409,
  // the record is there but cannot be served until it is deleted: retrying will not help
  ResourceQuarantined: 409,
  Unavailable: 503,
  // an ask that got no answer: the control side is overloaded or stuck, the client may retry
  Timeout: 503,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

/** Whether `type` is an error code this gateway maps to a status (another node's answer may carry any string). */
export function isErrorCode(type: unknown): type is ErrorCode {
  return typeof type === 'string' && Object.hasOwn(STATUS, type);
}

export function errorBody(type: string, message: string): ErrorBody {
  return { error: { type, message } };
}

/** The error's body: a `Timeout` is reported as BBS's `Unavailable`. */
function bodyOf(error: AuctorError): ErrorBody {
  return errorBody(error.code === 'Timeout' ? 'Unavailable' : error.code, error.message);
}

/** Sends `error` with its status and body. */
export function sendError(reply: FastifyReply, error: AuctorError): FastifyReply {
  return reply.code(statusOf(error.code)).send(bodyOf(error));
}

export function notFound(what: string): AuctorError {
  return new AuctorError('ResourceNotFound', `${what} not found`);
}

/**
 * Fastify's own failures (a body too large, a malformed body, a wrong content type) as Auctor's
 * error bodies; anything else is a bug in a handler and answers 500 without its details.
 */
export function fromFastifyError(error: { statusCode?: number; code?: string; message: string }, bodyLimitBytes: number): { status: number; body: ErrorBody } {
  if (error instanceof AuctorError) return { status: statusOf(error.code), body: bodyOf(error) };
  const status = error.statusCode ?? 500;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: errorBody('InvalidRequest', `request body larger than the limit of ${bodyLimitBytes} bytes`) };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: errorBody('InvalidRequest', 'invalid content type: send application/json') };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: errorBody('InvalidJSON', 'invalid JSON: the body is empty') };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, body: errorBody('InvalidJSON', `invalid JSON: ${error.message}`) };
  }
  if (status >= 400 && status < 500) return { status, body: errorBody('InvalidRequest', error.message) };
  return { status: 500, body: errorBody('InternalError', 'internal error; the node logged it') };
}
