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

/**
 * Immediate dominators from node 0 (Lengauer and Tarjan, with path compression: a heap's
 * dominator tree can be tens of thousands deep, where the iterative algorithm's walks up the tree
 * take hours). `order`: the reached nodes in DFS pre-order (a node's idom comes before it);
 * unreached nodes' idom: -1.
 */
function dominators(g: Graph): { idom: Int32Array; order: Uint32Array; reached: number } {
  // everything below in DFS numbers, 1-based (0: none)
  const dfnum = new Uint32Array(g.count);
  const vertex = new Uint32Array(g.count + 1);
  const parent = new Uint32Array(g.count + 1);
  const cursor = new Uint32Array(g.count);
  const stack = new Uint32Array(g.count);
  let reached = 0;
  let top = 0;
  dfnum[0] = ++reached;
  vertex[1] = 0;
  cursor[0] = g.firstEdge[0]!;
  stack[top++] = 0;
  while (top > 0) {
    const n = stack[top - 1]!;
    if (cursor[n]! >= g.firstEdge[n + 1]!) {
      top--;
      continue;
    }
    const t = g.target[cursor[n]!++]!;
    if (t === 0xffffffff || dfnum[t] !== 0) continue;
    dfnum[t] = ++reached;
    vertex[reached] = t;
    parent[reached] = dfnum[n]!;
    cursor[t] = g.firstEdge[t]!;
    stack[top++] = t;
  }
  // predecessors of each DFS number, as DFS numbers (CSR)
  const predStart = new Uint32Array(reached + 2);
  for (let n = 0; n < g.count; n++) {
    if (dfnum[n] === 0) continue;
    for (let e = g.firstEdge[n]!; e < g.firstEdge[n + 1]!; e++) if (g.target[e] !== 0xffffffff) predStart[dfnum[g.target[e]!]! + 1]!++;
  }
  for (let v = 1; v <= reached + 1; v++) predStart[v]! += predStart[v - 1]!;
  const preds = new Uint32Array(predStart[reached + 1]!);
  const fill = predStart.slice();
  for (let n = 0; n < g.count; n++) {
    if (dfnum[n] === 0) continue;
    for (let e = g.firstEdge[n]!; e < g.firstEdge[n + 1]!; e++) if (g.target[e] !== 0xffffffff) preds[fill[dfnum[g.target[e]!]!]!++] = dfnum[n]!;
  }
  const semi = new Uint32Array(reached + 1);
  const label = new Uint32Array(reached + 1);
  const ancestor = new Uint32Array(reached + 1);
  const dom = new Uint32Array(reached + 1);
  const bucketHead = new Uint32Array(reached + 1);
  const bucketNext = new Uint32Array(reached + 1);
  for (let v = 1; v <= reached; v++) (semi[v] = v), (label[v] = v);
  const path = new Uint32Array(reached + 1);
  const evaluate = (v: number): number => {
    if (ancestor[v] === 0) return v;
    // compress the path to the forest's root, top down
    let depth = 0;
    for (let x = v; ancestor[ancestor[x]!] !== 0; x = ancestor[x]!) path[depth++] = x;
    while (depth > 0) {
      const x = path[--depth]!;
      const a = ancestor[x]!;
      if (semi[label[a]!]! < semi[label[x]!]!) label[x] = label[a]!;
      ancestor[x] = ancestor[a]!;
    }
    return label[v]!;
  };
  for (let w = reached; w >= 2; w--) {
    for (let p = predStart[w]!; p < predStart[w + 1]!; p++) {
      const u = evaluate(preds[p]!);
      if (semi[u]! < semi[w]!) semi[w] = semi[u]!;
    }
    bucketNext[w] = bucketHead[semi[w]!]!;
    bucketHead[semi[w]!] = w;
    const pw = parent[w]!;
    ancestor[w] = pw;
    for (let v = bucketHead[pw]!; v !== 0; v = bucketNext[v]!) {
      const u = evaluate(v);
      dom[v] = semi[u]! < semi[v]! ? u : pw;
    }
    bucketHead[pw] = 0;
  }
  for (let w = 2; w <= reached; w++) if (dom[w] !== semi[w]) dom[w] = dom[dom[w]!]!;
  const idom = new Int32Array(g.count).fill(-1);
  const order = new Uint32Array(reached);
  for (let v = 1; v <= reached; v++) {
    order[v - 1] = vertex[v]!;
    idom[vertex[v]!] = v === 1 ? 0 : vertex[dom[v]!]!;
  }
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
  for (let i = reached - 1; i >= 1; i--) retained[idom[order[i]!]!] += retained[order[i]!]!;
  const isOwner = new Set(owners);
  const keys = new Map<number, string>();
  const ownerKey = (o: number) => {
    let key = keys.get(o);
    if (key === undefined) keys.set(o, (key = ACTORS.has(g.name(o)) ? actorLabel(g.name(o), g.property(o, 'name')) : g.name(o)));
    return key;
  };
  // the nearest owner, from the root down (an idom comes earlier in pre-order)
  const owner = new Int32Array(g.count).fill(-1);
  const byOwner = new Map<string, { bytes: number; objects: number }>();
  const unowned = new Map<string, number>();
  const byClass = new Map<string, { bytes: number; count: number }>();
  let total = 0;
  for (let i = 0; i < reached; i++) {
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
  for (let i = 1; i < reached; i++) {
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
