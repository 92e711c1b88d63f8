/**
 * Property tests over the REST schemas (issue 12), with fast-check, against a real node: bodies
 * generated from the JSON Schemas the node serves (`/openapi.json`, and the messages its actors
 * declare), and one-field breakages of them (wrong type, out of range, too long, too deep, a lone
 * surrogate, a missing, unknown or `__proto__` key). For each route:
 * - a body the node refuses gets a 4xx naming the broken field, and changes nothing stored; a body
 *   the schema refuses is always refused;
 * - a body the schema accepts is accepted, stored as sent, and reads back identical after the node
 *   restarts (one restart for everything, at the end);
 * - no request gets a 5xx (or no answer).
 * `PROPERTY_SEED` replays a run (fast-check prints the seed of a failure); `PROPERTY_RUNS` sets
 * the runs per property (default 100); `PROPERTY_KINDS` (a comma list) tries only those kinds of
 * breakage; `PROPERTY_STATS=1` prints what became of each kind.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { schemaArbitrary } from '../support/schema-arbitrary.js';
import { DEFAULT_BODY_LIMIT_BYTES } from '../../src/gateway/server.js';
import { MUTATION_KINDS, mutationArbitrary, wire, type Mutation, type MutationKind } from '../support/schema-mutations.js';
import { expectKept, namesField, preview, PropertyNode, sameJson, segment } from './rest-node.js';
import { defineRouteSchemas, messageSchemaName, ref, withinServerRules } from './route-schemas.js';

const SEED = Number(process.env.PROPERTY_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.PROPERTY_RUNS ?? 100);
const KINDS = (process.env.PROPERTY_KINDS?.split(',') ?? MUTATION_KINDS) as MutationKind[];

/**
 * The breakages the server may refuse although the schema accepts them: sizes in bytes (the
 * schema counts characters), depth, lone surrogates and a key `__proto__`, which JSON Schema
 * cannot say (docs/030 "Bounds"). Any other breakage the schema accepts must be accepted.
 */
const BEYOND_SCHEMA: readonly MutationKind[] = ['too-long', 'too-deep', 'lone-surrogate', 'reserved-key'];

/** What a route made of a body: accepted with the stored record, or refused with a message. */
interface Outcome {
  accepted: boolean;
  /** the HTTP status */
  status: number;
  stored?: unknown;
  message?: string;
  /** the refusal names a field inside this one (an actor's reply names fields of its `input`) */
  prefix?: string;
  /** a create of a guid this test already created: the node keeps the first (409) */
  exists?: boolean;
}

interface Route {
  name: string;
  /** the component the bodies follow */
  schema: string;
  valid: () => fc.Arbitrary<unknown>;
  send(body: unknown): Promise<Outcome>;
  /** what a refused request must leave as it was */
  snapshot(body: unknown): Promise<unknown>;
  /** checks an accepted body against what the node stored, and records it for the read-back */
  keep(body: unknown, outcome: Outcome): void;
  /** whether this test already created the body's guid (a create then answers 409, and keeps the first) */
  created?(body: unknown): boolean;
  /** runs before the route's properties */
  setup?(): Promise<void>;
}

describe('REST schemas (property tests, fast-check)', function () {
  this.timeout(120_000);
  let node: PropertyNode;
  /** what the node acknowledged, by what reads it back */
  const ledger = { lrps: new Map<string, unknown>(), tasks: new Map<string, unknown>(), domains: new Set<string>() };
  let properties = 0;
  /** what became of the breakages, by route and kind (printed with PROPERTY_STATS=1) */
  const tallies = new Map<string, number>();
  const tally = (key: string) => tallies.set(key, (tallies.get(key) ?? 0) + 1);
  const params = () => ({ seed: SEED + properties++, numRuns: RUNS, endOnFailure: true });

  before(async () => {
    node = await PropertyNode.start();
    await defineRouteSchemas(node);
  });
  after(async () => {
    if (process.env.PROPERTY_STATS) console.log({ ...Object.fromEntries([...tallies].sort()), lrps: ledger.lrps.size, tasks: ledger.tasks.size, domains: ledger.domains.size });
    await node?.stop();
  });

  /** bodies with a guid nobody used yet (a uuid in front) and a handful of instances */
  const overrides = () => {
    const guid = (field: string, component: string) => {
      const max = node.components[component]!.properties[field].maxLength ?? Infinity;
      return fc.tuple(fc.uuid(), schemaArbitrary(node.components[component]!.properties[field], { components: node.components })).map(([u, g]) => `${u}-${String(g)}`.slice(0, max));
    };
    return {
      process_guid: guid('process_guid', 'DesiredLRPRequest'),
      task_guid: guid('task_guid', 'TaskRequest'),
      instances: fc.integer({ min: 0, max: 3 }),
      // fresh for longer than the test runs: the read-back must find it
      ttl: fc.oneof(fc.constant(0), fc.constant(null), fc.integer({ min: 3600, max: 2 ** 31 })),
      completion_callback_url: fc.oneof(fc.constant(''), fc.webUrl({ validSchemes: ['http', 'https'] })),
    };
  };
  const bodies = (schema: string) => () => schemaArbitrary(ref(schema), { components: node.components, overrides: overrides() }).filter(withinServerRules);

  const count = async (actor: 'lrps' | 'tasks') => (await node.call('GET', `/v1/actors/${node.name}/control/${actor}?depth=1`)).json.summary;
  const restOutcome = (status: number, json: any, ok: number): Outcome =>
    status === ok ? { accepted: true, status, stored: json } : { accepted: false, status, message: json?.error?.message, exists: json?.error?.type === 'ResourceExists' };
  const guidOf = (body: unknown, key: string) => (typeof (body as any)?.[key] === 'string' ? (body as any)[key] as string : undefined);

  const keepLrp = (body: unknown, outcome: Outcome) => {
    expectKept(body, outcome.stored);
    ledger.lrps.set((outcome.stored as any).process_guid, outcome.stored);
  };
  const lrpSnapshot = async (body: unknown) => {
    const guid = guidOf(body, 'process_guid');
    return [await count('lrps'), guid === undefined || guid === '' ? null : (await node.call('GET', `/v1/desired_lrps/${segment(guid)}`)).json];
  };

  const createLrp: Route = {
    name: 'POST /v1/desired_lrps',
    schema: 'DesiredLRPRequest',
    valid: bodies('DesiredLRPRequest'),
    send: async (body) => {
      const { status, json } = await node.call('POST', '/v1/desired_lrps', body);
      return restOutcome(status, json, 201);
    },
    snapshot: lrpSnapshot,
    keep: keepLrp,
    created: (body) => ledger.lrps.has(guidOf(body, 'process_guid') ?? ''),
  };

  const PATCHED = 'patch-target';
  const patchLrp: Route = {
    name: 'PATCH /v1/desired_lrps/:process_guid',
    schema: 'DesiredLRPUpdate',
    valid: bodies('DesiredLRPUpdate'),
    send: async (body) => {
      const { status, json } = await node.call('PATCH', `/v1/desired_lrps/${PATCHED}`, body);
      return restOutcome(status, json, 200);
    },
    snapshot: async () => (await node.call('GET', `/v1/desired_lrps/${PATCHED}`)).json,
    keep: keepLrp,
    setup: async () => {
      const created = await node.call('POST', '/v1/desired_lrps', { process_guid: PATCHED, domain: 'd', rootfs: 'preloaded:host', instances: 0, action: { run: { path: 'p', user: 'u' } } });
      expect(created.status, created.text).to.equal(201);
      ledger.lrps.set(PATCHED, created.json);
    },
  };

  // a task's server-set fields change as it is auctioned (and fails: this node has no cell)
  const SERVER_SET = ['state', 'cell_id', 'failed', 'failure_reason', 'result', 'rejection_count', 'rejection_reason', 'updated_at', 'first_completed_at'];
  const desired = (task: any) => Object.fromEntries(Object.entries(task).filter(([key]) => !SERVER_SET.includes(key)));
  const keepTask = (body: unknown, outcome: Outcome) => {
    expectKept(body, outcome.stored);
    ledger.tasks.set((outcome.stored as any).task_guid, desired(outcome.stored));
  };
  const createTask: Route = {
    name: 'POST /v1/tasks',
    schema: 'TaskRequest',
    valid: bodies('TaskRequest'),
    send: async (body) => {
      const { status, json } = await node.call('POST', '/v1/tasks', body);
      return restOutcome(status, json, 201);
    },
    snapshot: async (body) => {
      const guid = guidOf(body, 'task_guid');
      const one = guid === undefined || guid === '' ? null : await node.call('GET', `/v1/tasks/${segment(guid)}`);
      return [await count('tasks'), one && (one.status === 404 ? 404 : desired(one.json))];
    },
    keep: keepTask,
    created: (body) => ledger.tasks.has(guidOf(body, 'task_guid') ?? ''),
  };

  // `PUT /v1/domains/:domain` takes its name in the path: the schema is {domain, body}
  const keepDomain = (body: unknown) => ledger.domains.add((body as { domain: string }).domain);
  const domainsNow = async () => ((await node.call('GET', '/v1/domains')).json as string[]).sort();
  const putDomain: Route = {
    name: 'PUT /v1/domains/:domain',
    schema: 'DomainPut',
    valid: bodies('DomainPut'),
    send: async (body) => {
      // the name is a path segment: always a string, never missing (the actor route tries those)
      fc.pre(typeof (body as { domain?: unknown } | null)?.domain === 'string');
      const { domain, body: ttl } = body as { domain: string; body: unknown };
      const { status, json } = await node.call('PUT', `/v1/domains/${segment(domain)}`, ttl);
      return status === 204 ? { accepted: true, status } : { accepted: false, status, message: json?.error?.message, prefix: 'body' };
    },
    snapshot: domainsNow,
    keep: keepDomain,
  };

  /** `POST /v1/actors/<node>/control/<actor>/messages?ask=true`: a refusal is a 400, or a reply `{ok: false, error}` naming a field of `input`/`body`. */
  const message = (actor: string, type: string, inner: string, keep: Route['keep'], snapshot: Route['snapshot'], created?: Route['created']): Route => ({
    name: `POST /v1/actors/<node>/control/${actor}/messages ${type}`,
    schema: messageSchemaName(type),
    valid: bodies(messageSchemaName(type)),
    send: async (body) => {
      const { status, json } = await node.call('POST', `/v1/actors/${node.name}/control/${actor}/messages?ask=true`, body);
      if (status !== 200) return { accepted: false, status, message: json?.error?.message };
      const reply = json.reply;
      if (reply.ok) return { accepted: true, status, stored: reply.value };
      return { accepted: false, status, message: reply.error?.message, prefix: inner, exists: reply.error?.type === 'ResourceExists' };
    },
    snapshot,
    keep,
    ...(created ? { created: (body: unknown) => created((body as Record<string, unknown>)[inner]) } : {}),
  });
  const inner = (key: string, keep: (body: unknown, outcome: Outcome) => void) => (body: unknown, outcome: Outcome) => keep((body as Record<string, unknown>)[key], outcome);
  const desireByMessage = message('lrps', 'lrps/desire', 'input', inner('input', keepLrp), (body) => lrpSnapshot((body as any)?.input), createLrp.created);
  const taskByMessage = message('tasks', 'tasks/desire', 'input', inner('input', keepTask), (body) => createTask.snapshot((body as any)?.input), createTask.created);
  const domainByMessage = message('domains', 'domains/upsert', 'body', keepDomain, domainsNow);

  /** A body the schema accepts is accepted and stored as sent. */
  async function accepted(route: Route): Promise<void> {
    await fc.assert(fc.asyncProperty(route.valid(), async (body) => {
      expect(node.accepts(route.schema, body), 'the generator makes bodies the schema accepts').to.equal(true);
      const outcome = await route.send(body);
      if (outcome.exists && route.created?.(body)) return;
      expect(outcome.accepted, `${route.name} refused a body its schema accepts: ${outcome.message}`).to.equal(true);
      route.keep(body, outcome);
    }), params());
  }

  /** A broken body is refused naming the field and changes nothing, or (if the schema accepts it) is kept exactly. */
  async function broken(route: Route): Promise<void> {
    await fc.assert(fc.asyncProperty(mutationArbitrary(route.valid(), ref(route.schema), node.components, KINDS), async (mutation: Mutation) => {
      const before = await route.snapshot(mutation.body);
      const outcome = await route.send(mutation.body);
      tally(`${route.name}: ${mutation.kind} ${outcome.accepted ? 'kept' : 'refused'}`);
      if (outcome.exists && route.created?.(mutation.body)) return;
      if (outcome.accepted) {
        expect(node.accepts(route.schema, mutation.body), `${route.name} accepted a body its schema refuses`).to.equal(true);
        route.keep(mutation.body, outcome);
        return;
      }
      expect(outcome.message, 'a refusal says why').to.be.a('string');
      if (!BEYOND_SCHEMA.includes(mutation.kind)) expect(node.accepts(route.schema, mutation.body), `${route.name} refused a body its schema accepts: ${outcome.message}`).to.equal(false);
      if (outcome.status === 413) {
        // a breakage that made the body too large is refused as such, before anything reads it
        expect(Buffer.byteLength(wire(mutation.body)), outcome.message).to.be.above(DEFAULT_BODY_LIMIT_BYTES);
        return;
      }
      const named = namesField(outcome.message, mutation.path) || (outcome.prefix !== undefined && namesField(outcome.message, mutation.path, outcome.prefix));
      expect(named, `the refusal "${preview(outcome.message, 300)}" names the broken field ${mutation.field}`).to.equal(true);
      const after = await route.snapshot(mutation.body);
      if (!sameJson(after, before)) expect.fail(`a refused request changed what is stored: ${preview(before)} became ${preview(after)}`);
    }), params());
  }

  for (const route of [createLrp, patchLrp, createTask, putDomain, desireByMessage, taskByMessage, domainByMessage]) {
    describe(route.name, () => {
      before(async () => route.setup?.());
      it('accepts every body its schema accepts and stores it as sent', () => accepted(route));
      it('refuses a broken body naming the field and changing nothing, or keeps it exactly; never a 5xx', () => broken(route));
    });
  }

  describe('GET routes', () => {
    it("answer any path segment and query in Auctor's error shape, never a 5xx or no answer", async () => {
      const gets = Object.entries(node.paths).filter(([, ops]) => ops.get).map(([path, ops]) => ({ path, parameters: ops.get!.parameters ?? [] }));
      const value = fc.oneof(
        fc.string(),
        fc.string({ unit: 'binary' }),
        fc.integer().map(String),
        fc.constantFrom('', '.', '..', '0', '-1', 'true', '1e300', '9007199254740993', '__proto__', 'cell_appeared', '%', '\ud800', 'a'.repeat(3000)),
      );
      const request = fc.constantFrom(...gets).chain((route) => fc.record({
        route: fc.constant(route),
        values: fc.array(value, { minLength: 4, maxLength: 4 }),
        // a parameter may come twice (`?types=a&types=b` once answered 500)
        query: fc.array(fc.tuple(fc.constantFrom('x', ...route.parameters.filter((p) => p.in === 'query').map((p) => p.name)), value), { maxLength: 4 }),
      }));
      await fc.assert(fc.asyncProperty(request, async ({ route, values, query }) => {
        let i = 0;
        const path = route.path.replace(/\{[^}]+\}/g, () => segment(values[i++]!));
        const search = query.map(([key, v]) => `${segment(key)}=${segment(v)}`).join('&');
        // a stream (events, logs with follow) would not end: HEAD runs the same handler and ends
        const streams = path.endsWith('/logs') || path === '/v1/events';
        const answer = await node.call(streams ? 'HEAD' : 'GET', search === '' ? path : `${path}?${search}`);
        if (answer.status >= 400 && !streams) expect(answer.json?.error, answer.text).to.have.keys('type', 'message');
      }), params());
    });
  });

  describe('after a restart', () => {
    it('reads back everything it acknowledged, identical, after a restart', async () => {
      await node.restart();
      for (const [guid, stored] of ledger.lrps) {
        const read = await node.call('GET', `/v1/desired_lrps/${segment(guid)}`);
        if (!sameJson(read.json, stored)) expect.fail(`PROPERTY_SEED=${SEED}: DesiredLRP ${preview(guid, 80)} reads back ${preview(read.json)}, acknowledged as ${preview(stored)}`);
      }
      for (const [guid, stored] of ledger.tasks) {
        const read = await node.call('GET', `/v1/tasks/${segment(guid)}`);
        if (!sameJson(desired(read.json), stored)) expect.fail(`PROPERTY_SEED=${SEED}: Task ${preview(guid, 80)} reads back ${preview(read.json)}, acknowledged as ${preview(stored)}`);
      }
      const domains = await domainsNow();
      for (const name of ledger.domains) expect(domains, `PROPERTY_SEED=${SEED}: domain ${JSON.stringify(name.slice(0, 80))} after the restart`).to.include(name);
    });
  });
});
