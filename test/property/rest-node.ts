/**
 * What the REST property tests share: one real node (`auctor start`, control role only, so no
 * generated body ever runs a process) on a temporary LMDB directory, restarted on the same
 * directory for the read-back; the schemas it serves (`/openapi.json`) compiled with ajv as the
 * oracle; requests that fail the test on any 5xx or on no answer; and the ledger of everything
 * the node acknowledged, read back after the restart.
 */
import { expect } from 'chai';
import { Agent, request } from 'node:http';
import { readAnswer, startNode, type NodeProcess } from '../support/gateway-node.js';
import { schemaSet, type SchemaSet } from '../support/json-schema.js';
import type { Schema } from '../support/schema-arbitrary.js';
import { DEEP, deepValueOf, fieldName, wire, type Path } from '../support/schema-mutations.js';
import { tempDir } from '../support/temp-dir.js';

export interface Answer {
  status: number;
  json: any;
  text: string;
}

const ANSWER_TIMEOUT_MS = 15_000;
/** one connection reused: thousands of requests, no socket churn */
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** Percent-encodes a path segment; a lone surrogate (which encodeURIComponent refuses) as its WTF-8 bytes. */
export function segment(text: string): string {
  return text.replace(/[\ud800-\udfff]|[^\ud800-\udfff]+/gu, (part) =>
    /^[\ud800-\udfff]$/.test(part) ? [0xe0 | (part.charCodeAt(0) >> 12), 0x80 | ((part.charCodeAt(0) >> 6) & 0x3f), 0x80 | (part.charCodeAt(0) & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('') : encodeURIComponent(part),
  );
}

export class PropertyNode {
  /** the served components, plus the synthetic schemas the tests add */
  readonly components: Record<string, Schema>;
  /** the served document's `paths` */
  readonly paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }> }>>;
  private schemas: SchemaSet;
  private node: NodeProcess;

  private constructor(private readonly dir: { path: string; remove: () => void }, node: NodeProcess, doc: { components: { schemas: Record<string, Schema> }; paths: PropertyNode['paths'] }) {
    this.node = node;
    this.components = { ...doc.components.schemas };
    this.paths = doc.paths;
    this.schemas = schemaSet({ components: { schemas: this.components } });
  }

  static async start(): Promise<PropertyNode> {
    const dir = tempDir('auctor-property-');
    const node = await startNode(dir.path, NODE_ARGS);
    const doc = (await call(node.url, 'GET', '/openapi.json')).json;
    return new PropertyNode(dir, node, doc);
  }

  get name(): string {
    return this.node.name;
  }

  /** Adds schemas the served ones do not have (a route's path and body together, an actor's message). */
  define(extra: Record<string, Schema>): void {
    Object.assign(this.components, extra);
    this.schemas = schemaSet({ components: { schemas: this.components } });
  }

  /** Whether the component `name` accepts `value`; a value too deep for ajv's recursion counts as accepted (JSON Schema sets no depth). */
  accepts(name: string, value: unknown): boolean {
    try {
      return this.schemas.component(name)(value) as boolean;
    } catch (error) {
      if (error instanceof RangeError) return true;
      throw error;
    }
  }

  /** One request; any 5xx, or no answer within 15 s, fails the test with the request shown. */
  async call(method: string, path: string, body?: unknown): Promise<Answer> {
    const answer = await call(this.node.url, method, path, body);
    if (answer.status >= 500) {
      const failures = this.node.logs.filter((l) => l.msg === 'gateway.request-failed').slice(-1);
      throw new Error(`${method} ${path.slice(0, 200)} answered ${answer.status} ${answer.text.slice(0, 500)} ${JSON.stringify(failures).slice(0, 1500)}`);
    }
    return answer;
  }

  /** Stops the node (SIGTERM) and starts it again on the same data. */
  async restart(): Promise<void> {
    expect(await this.node.stop(), 'the node stops cleanly').to.equal(0);
    this.node = await startNode(this.dir.path, NODE_ARGS);
  }

  async stop(): Promise<void> {
    agent.destroy();
    await this.node.stop();
    this.dir.remove();
  }
}

const NODE_ARGS = ['--roles', 'control', '--router', 'off'];

function call(url: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : wire(body);
  return new Promise((resolve, reject) => {
    // the path as given: a URL string would be parsed, and `/v1/domains/.` lose its name to dot-segment removal
    const { hostname, port } = new URL(url);
    const req = request({ hostname, port, path, method, agent, headers: payload === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      readAnswer(res).then(({ status, json, text }) => resolve({ status, json, text }), reject);
    });
    req.setTimeout(ANSWER_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${path.slice(0, 200)}: no answer within ${ANSWER_TIMEOUT_MS}ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Whether `message` (`invalid field: <field>[: reason]`) names the field at `path`, a field that
 * contains it, or one inside it (`action` and `action.run.path` name each other). A key may hold
 * `:` or `.`, so the names are compared as the validators write them, not parsed back. `prefix`
 * is where the message's names start (an actor's reply names fields of its `input`). Any
 * message fits a broken body that is not even an object: it has no field to name.
 */
export function namesField(message: string | undefined, path: Path, prefix = ''): boolean {
  // a body that is not even an object has no field to name
  if (path.length === 0) return true;
  const named = /^invalid field: ([\s\S]*)$/.exec(message ?? '')?.[1];
  if (named === undefined) return false;
  const full = prefix === '' ? named : `${prefix}.${named}`;
  const field = fieldName(path);
  if (full.startsWith(`${field}.`) || full.startsWith(`${field}[`)) return true;
  for (let i = path.length; i > 0; i--) {
    const ancestor = fieldName(path.slice(0, i));
    if (full === ancestor || full.startsWith(`${ancestor}: `)) return true;
  }
  return false;
}

/**
 * Whether two JSON values are equal, at any depth (chai's deep equal recurses and overflows on
 * the 10,000-deep values the mutations send).
 */
export function sameJson(a: unknown, b: unknown): boolean {
  const pending: Array<[unknown, unknown]> = [[a, b]];
  while (pending.length > 0) {
    const [x, y] = pending.pop()!;
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null || Array.isArray(x) !== Array.isArray(y)) return false;
    const [kx, ky] = [Object.keys(x), Object.keys(y)];
    if (kx.length !== ky.length) return false;
    for (const key of kx) {
      if (!Object.hasOwn(y, key)) return false;
      pending.push([(x as Record<string, unknown>)[key], (y as Record<string, unknown>)[key]]);
    }
  }
  return true;
}

/** At most `max` characters of `value` as JSON, at most 20 levels of it. */
export function preview(value: unknown, max = 600): string {
  const cut = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return v.length > 60 ? `${v.slice(0, 30)}…(${v.length} chars)` : v;
    if (typeof v !== 'object' || v === null) return v;
    if (depth >= 20) return '…';
    return Array.isArray(v) ? v.slice(0, 20).map((x) => cut(x, depth + 1)) : Object.fromEntries(Object.entries(v).slice(0, 40).map(([k, x]) => [k, cut(x, depth + 1)]));
  };
  const text = JSON.stringify(cut(value, 0)) ?? String(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Whether `stored` is the full-depth value `standIn` stands for. */
function storedDeep(standIn: unknown, stored: unknown): boolean {
  const spec = deepValueOf(standIn)!;
  let at = stored;
  for (let i = 0; i < DEEP && at !== undefined; i++) at = spec.unwrap(at);
  return at !== undefined && sameJson(at, spec.leaf);
}

/**
 * Every value `request` sets is stored as sent: `routes` exactly (opaque JSON); elsewhere a
 * `null` may be stored absent or as its default (the validators read null as absent), the
 * key `zz_unknown_field` the mutations add is dropped, and an empty `completion_callback_url`
 * ("empty = none", says TaskRequest) is stored absent.
 */
export function expectKept(request: unknown, stored: unknown, path = '', exact = false): void {
  const at = path || '(body)';
  if (deepValueOf(request)) {
    expect(storedDeep(request, stored), `${at} is stored ${DEEP} levels deep as sent`).to.equal(true);
    return;
  }
  if (request === null || request === undefined) {
    if (exact) expect(stored, `${at} is stored as sent`).to.equal(request);
    return;
  }
  if (Array.isArray(request)) {
    expect(Array.isArray(stored), `${at} is stored as a list: ${preview(stored)}`).to.equal(true);
    expect((stored as unknown[]).length, `${at}: length`).to.equal(request.length);
    request.forEach((item, i) => expectKept(item, (stored as unknown[])[i], `${path}[${i}]`, exact));
  } else if (typeof request === 'object') {
    expect(stored, `${at} is stored as an object`).to.be.an('object');
    const record = stored as Record<string, unknown>;
    if (exact) expect(Object.keys(record).sort(), `${at}: the keys`).to.deep.equal(Object.keys(request).sort());
    for (const [key, value] of Object.entries(request)) {
      if (!exact && (key === 'zz_unknown_field' || (key === 'completion_callback_url' && value === '' && record[key] === undefined))) continue;
      const child = path === '' ? key : `${path}.${key}`;
      expectKept(value, record[key], child, exact || (key === 'routes' && path === '' && value !== null));
    }
  } else expect(stored, `${at} is stored as sent`).to.equal(request);
}
