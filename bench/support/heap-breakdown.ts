/**
 * What holds a heap, from a V8 heap snapshot (`npm run bench -- scale` with BENCH_HEAP_SNAPSHOT):
 * `node dist/bench/support/heap-breakdown.js FILE [PER] [OWNERS]`.
 *
 * Every object is charged to its nearest owner in the dominator tree (an object is dominated by
 * X when every path to it from the GC roots passes through X, so freeing X frees it): the owners
 * are the objects whose constructor is named in OWNERS (comma-separated; default below), or else
 * "(no owner)". Prints, as JSON: `total_bytes`, the bytes each owner class holds (`owners`: bytes,
 * objects, bytes per PER, e.g. per instance), what the unowned bytes are (`unowned_by_class`),
 * the largest classes by their own size (`by_class`), and the objects that retain most
 * (`largest`). Weak edges do not retain.
 */
import { readHeapSnapshot, type HeapSnapshot } from './heap-snapshot-reader.js';

const DEFAULT_OWNERS = [
  'Actor', 'PersistentActor', 'QueryIndex', 'EventHub', 'EventJournal', 'CellPlacements', 'ActorRegistry', 'VirtualKinds', 'VirtualChildren', 'DurableTimers',
  'GrpcRemoting', 'LmdbPersistenceEngine', 'Membership', 'ActorSystem', 'PendingQueries', 'SseStreams', 'LogBuffer', 'NodeMetrics',
];
/** nact's actor classes: an owner of theirs is named by what the actor is (its `name`: an instance's is its index, a supervisor's its process guid) */
const ACTORS = new Set(['Actor', 'PersistentActor']);
const actorLabel = (cls: string, name: string | undefined) => {
  if (name === undefined) return `${cls} (unnamed)`;
  if (/^\d+$/.test(name)) return `${cls}: an instance (actual-lrp)`;
  if (/^(app|probe)-/.test(name)) return `${cls}: an LRP supervisor`;
  return `${cls}: ${name}`;
};

interface Graph {
  count: number;
  name: (n: number) => string;
  type: (n: number) => string;
  selfSize: Float64Array;
  /** first edge (CSR) of each node, count + 1 entries */
  firstEdge: Uint32Array;
  /** the target node of each strong edge, by CSR position (weak edges: 0xffffffff) */
  target: Uint32Array;
  /** the string value of the node's property `key`, if it has one that is a string */
  property: (n: number, key: string) => string | undefined;
}

function graphOf(s: HeapSnapshot): Graph {
  const nf = s.nodeFields.length;
  const ef = s.edgeFields.length;
  const count = s.nodes.length / nf;
  const [typeAt, nameAt, sizeAt, edgesAt] = ['type', 'name', 'self_size', 'edge_count'].map((f) => s.nodeFields.indexOf(f));
  const [edgeTypeAt, toAt, edgeNameAt] = ['type', 'to_node', 'name_or_index'].map((f) => s.edgeFields.indexOf(f));
  const weak = s.edgeTypes.indexOf('weak');
  const propertyType = s.edgeTypes.indexOf('property');
  const stringType = s.nodeTypes.indexOf('string');
  const selfSize = new Float64Array(count);
  const firstEdge = new Uint32Array(count + 1);
  const target = new Uint32Array(s.edges.length / ef);
  for (let n = 0, e = 0; n < count; n++) {
    selfSize[n] = s.nodes[n * nf + sizeAt!]!;
    firstEdge[n] = e;
    const end = e + s.nodes[n * nf + edgesAt!]!;
    for (; e < end; e++) target[e] = s.edges[e * ef + edgeTypeAt!] === weak ? 0xffffffff : s.edges[e * ef + toAt!]! / nf;
  }
  firstEdge[count] = target.length;
  return {
    count,
    name: (n) => s.strings[s.nodes[n * nf + nameAt!]!] ?? '',
    type: (n) => s.nodeTypes[s.nodes[n * nf + typeAt!]!] ?? '',
    selfSize,
    firstEdge,
    target,
    property: (n, key) => {
      for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e++) {
        if (s.edges[e * ef + edgeTypeAt!] !== propertyType || s.strings[s.edges[e * ef + edgeNameAt!]!] !== key) continue;
        const to = s.edges[e * ef + toAt!]!;
        return s.nodes[to + typeAt!] === stringType ? s.strings[s.nodes[to + nameAt!]!] : undefined;
      }
      return undefined;
    },
  };
}

/** Immediate dominators (Cooper, Harvey and Kennedy's iterative algorithm) from node 0; unreachable nodes: -1. Also the post-order. */
function dominators(g: Graph): { idom: Int32Array; order: Uint32Array; reached: number } {
  const post = new Int32Array(g.count).fill(-1);
  const order = new Uint32Array(g.count); // order[i] = the node i-th in post-order
  const stack = new Uint32Array(g.count);
  const cursor = new Uint32Array(g.count);
  const seen = new Uint8Array(g.count);
  let top = 0;
  let reached = 0;
  stack[top++] = 0;
  seen[0] = 1;
  cursor[0] = g.firstEdge[0]!;
  while (top > 0) {
    const n = stack[top - 1]!;
    const end = g.firstEdge[n + 1]!;
    let pushed = false;
    while (cursor[n]! < end) {
      const t = g.target[cursor[n]!++]!;
      if (t === 0xffffffff || seen[t]) continue;
      seen[t] = 1;
      cursor[t] = g.firstEdge[t]!;
      stack[top++] = t;
      pushed = true;
      break;
    }
    if (!pushed) {
      top--;
      post[n] = reached;
      order[reached++] = n;
    }
  }
  // predecessors (CSR) among reached nodes
  const predCount = new Uint32Array(g.count + 1);
  for (let n = 0; n < g.count; n++) {
    if (post[n] === -1) continue;
    for (let e = g.firstEdge[n]!; e < g.firstEdge[n + 1]!; e++) if (g.target[e] !== 0xffffffff) predCount[g.target[e]! + 1]!++;
  }
  for (let n = 0; n < g.count; n++) predCount[n + 1]! += predCount[n]!;
  const preds = new Uint32Array(predCount[g.count]!);
  const fill = predCount.slice(0, g.count);
  for (let n = 0; n < g.count; n++) {
    if (post[n] === -1) continue;
    for (let e = g.firstEdge[n]!; e < g.firstEdge[n + 1]!; e++) if (g.target[e] !== 0xffffffff) preds[fill[g.target[e]!]!++] = n;
  }
  // idom by post-order number; the root is the last in post-order
  const doms = new Int32Array(reached).fill(-1);
  const root = reached - 1;
  doms[root] = root;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (a < b) a = doms[a]!;
      while (b < a) b = doms[b]!;
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (let i = root - 1; i >= 0; i--) {
      const n = order[i]!;
      let idom = -1;
      for (let p = predCount[n]!; p < predCount[n + 1]!; p++) {
        const q = post[preds[p]!]!;
        if (doms[q] === -1) continue;
        idom = idom === -1 ? q : intersect(q, idom);
      }
      if (idom !== -1 && doms[i] !== idom) {
        doms[i] = idom;
        changed = true;
      }
    }
  }
  const idom = new Int32Array(g.count).fill(-1);
  for (let i = 0; i < reached; i++) idom[order[i]!] = order[doms[i]!]!;
  return { idom, order, reached };
}

const label = (g: Graph, n: number) => {
  const type = g.type(n);
  return type === 'object' || type === 'closure' || type === 'native' ? `${g.name(n)} (${type})` : `(${type})`;
};

export function breakdown(path: string, per: number, owners: readonly string[]): Record<string, unknown> {
  const g = graphOf(readHeapSnapshot(path));
  const { idom, order, reached } = dominators(g);
  const retained = Float64Array.from(g.selfSize);
  for (let i = 0; i < reached - 1; i++) retained[idom[order[i]!]!] += retained[order[i]!]!;
  const isOwner = new Set(owners);
  const keys = new Map<number, string>();
  const ownerKey = (o: number) => {
    let key = keys.get(o);
    if (key === undefined) keys.set(o, (key = ACTORS.has(g.name(o)) ? actorLabel(g.name(o), g.property(o, 'name')) : g.name(o)));
    return key;
  };
  // the nearest owner, from the root down (an idom comes later in post-order)
  const owner = new Int32Array(g.count).fill(-1);
  const byOwner = new Map<string, { bytes: number; objects: number }>();
  const unowned = new Map<string, number>();
  const byClass = new Map<string, { bytes: number; count: number }>();
  let total = 0;
  for (let i = reached - 1; i >= 0; i--) {
    const n = order[i]!;
    const own = g.type(n) === 'object' && isOwner.has(g.name(n));
    owner[n] = own ? n : n === 0 ? -1 : owner[idom[n]!]!;
    const size = g.selfSize[n]!;
    total += size;
    const cls = label(g, n);
    const c = byClass.get(cls) ?? { bytes: 0, count: 0 };
    byClass.set(cls, { bytes: c.bytes + size, count: c.count + 1 });
    if (owner[n] === -1) unowned.set(cls, (unowned.get(cls) ?? 0) + size);
    else {
      const o = byOwner.get(ownerKey(owner[n]!)) ?? { bytes: 0, objects: 0 };
      byOwner.set(ownerKey(owner[n]!), { bytes: o.bytes + size, objects: o.objects + (own ? 1 : 0) });
    }
  }
  const top = <T>(m: Map<string, T>, size: (t: T) => number, k: number) => [...m].sort((a, b) => size(b[1]) - size(a[1])).slice(0, k);
  const largest: Array<[number, number]> = [];
  for (let i = 0; i < reached - 1; i++) {
    const n = order[i]!;
    if (idom[n] !== 0 && g.type(idom[n]!) !== 'synthetic') continue; // the biggest subtrees just below the roots
    largest.push([n, retained[n]!]);
  }
  largest.sort((a, b) => b[1] - a[1]);
  return {
    total_bytes: total,
    per,
    bytes_per: Math.round(total / per),
    owners: Object.fromEntries(top(byOwner, (o) => o.bytes, 50).map(([k, o]) => [k, { ...o, bytes_per: Math.round(o.bytes / per) }])),
    unowned_bytes_per: Math.round([...unowned.values()].reduce((a, b) => a + b, 0) / per),
    unowned_by_class: Object.fromEntries(top(unowned, (b) => b, 25).map(([k, b]) => [k, Math.round(b / per)])),
    by_class: Object.fromEntries(top(byClass, (c) => c.bytes, 40).map(([k, c]) => [k, { count: c.count, bytes_per: Math.round(c.bytes / per) }])),
    largest: largest.slice(0, 25).map(([n, bytes]) => ({ what: label(g, n), bytes_per: Math.round(bytes / per) })),
  };
}

if (process.argv[1]?.endsWith('heap-breakdown.js')) {
  const [file, per = '1', owners] = process.argv.slice(2);
  if (!file) throw new Error('usage: heap-breakdown.js FILE [PER] [OWNERS]');
  process.stdout.write(`${JSON.stringify(breakdown(file, Number(per), owners ? owners.split(',') : DEFAULT_OWNERS), null, 1)}\n`);
}
