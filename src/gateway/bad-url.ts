/**
 * A path that is not valid percent-encoded UTF-8 (`/v1/domains/%ED%A0%80`, the bytes of a lone
 * surrogate, or a cut `%E0`) is refused by fastify's router before any route runs, and fastify
 * answers it in its own shape (`{"error": "Bad Request", "code": "FST_ERR_BAD_URL"}`). This
 * answers Auctor's 400 instead, naming the path parameter the bad segment stands for
 * (`invalid field: domain: ...`), found by matching the path against the routes' patterns.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './errors.js';

interface Pattern {
  method: string;
  segments: string[];
}

const segmentsOf = (path: string) => path.split('/').slice(1);

export class BadUrlAnswers {
  private readonly patterns: Pattern[] = [];

  /** `other` answers the framework's other errors (an async constraint failing). */
  constructor(private readonly other: (error: FastifyError, reply: FastifyReply) => void) {}

  /** Records the routes added to `app` from now on; call it before adding any. */
  collect(app: FastifyInstance): void {
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) this.patterns.push({ method, segments: segmentsOf(route.url ?? route.path) });
    });
  }

  /** fastify's `frameworkErrors`: a bad URL as Auctor's 400 naming the parameter. */
  readonly handler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    if (error.code !== 'FST_ERR_BAD_URL') return this.other(error, reply);
    const raw = segmentsOf(request.url.split('?')[0]!);
    const bad = raw.findIndex((segment) => !decodes(segment));
    const shown = (raw[bad] ?? '').slice(0, 100);
    void reply.code(400).send(errorBody('InvalidRequest', `invalid field: ${this.parameterAt(request.method, raw, bad)}: "${shown}" is not percent-encoded UTF-8`));
  };

  /** The name of the parameter at segment `index` of the route `raw` matches; `path` when none says. */
  private parameterAt(method: string, raw: string[], index: number): string {
    for (const pattern of this.patterns) {
      if (pattern.method !== method) continue;
      const wildcard = pattern.segments.indexOf('*');
      const fits = wildcard >= 0 ? raw.length >= wildcard : raw.length === pattern.segments.length;
      const prefix = wildcard >= 0 ? pattern.segments.slice(0, wildcard) : pattern.segments;
      if (!fits || !prefix.every((s, i) => s.startsWith(':') || i === index || s === raw[i])) continue;
      const at = wildcard >= 0 && index >= wildcard ? '*' : pattern.segments[index];
      if (at?.startsWith(':')) return at.slice(1);
      if (at === '*') return 'path';
    }
    return 'path';
  }
}

function decodes(segment: string): boolean {
  try {
    decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}
