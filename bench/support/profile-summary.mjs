// Sums a .cpuprofile (bench/support/profile-hook.mjs) up: self time by function and by file,
// and total (inclusive) time of the functions named on the command line.
// Usage: node bench/support/profile-summary.mjs FILE [TOP]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 40);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const dt = new Map();
for (let i = 0; i < profile.samples.length; i++) dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
const total = [...dt.values()].reduce((a, b) => a + b, 0);
const short = (url) => url.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^file:\/\//, '');
const selfBy = (key) => {
  const m = new Map();
  for (const [id, us] of dt) {
    const n = byId.get(id);
    const k = key(n);
    m.set(k, (m.get(k) ?? 0) + us);
  }
  return [...m].sort((a, b) => b[1] - a[1]);
};
const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
console.log(`total ${(total / 1e6).toFixed(2)} s sampled`);
console.log('\n== self by file');
for (const [k, us] of selfBy((n) => short(n.callFrame.url) || n.callFrame.functionName).slice(0, top)) console.log(pct(us), k);
console.log('\n== self by function');
for (const [k, us] of selfBy((n) => `${n.callFrame.functionName || '(anon)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`).slice(0, top)) console.log(pct(us), k);
// inclusive time by file (a sample counts once per file on its stack)
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const incl = new Map();
for (const [id, us] of dt) {
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur);
    const k = short(n.callFrame.url) || n.callFrame.functionName;
    if (seen.has(k)) continue;
    seen.add(k);
    incl.set(k, (incl.get(k) ?? 0) + us);
  }
}
console.log('\n== inclusive by file');
for (const [k, us] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(pct(us), k);

// categories: each sample goes to the first frame, leaf first, that one of these names
const CATEGORIES = [
  [/node_modules\/lmdb|lmdb-engine|runtime-store/, 'LMDB (puts, reads, commit wait)'],
  [/event-journal|sse-|gateway\/events|event-hub|rxjs|cjs\/internal/, 'events (hub, SSE journal)'],
  [/query-index/, 'query index'],
  [/fastify|_http_|gateway\/|json-bounds|node:http/, 'HTTP + gateway'],
  [/grpc|remoting\//, 'remoting (gRPC)'],
  [/auction|auctioneer/, 'auction'],
  [/models\/validation|schema-check|models\/desired-lrp/, 'DesiredLRP validation'],
  [/cell-placements|cells\.js|cell-client|control-link|cell-ledger/, 'cells (placements, clients)'],
  [/actors\/actual-lrp|models\/actual-lrp/, 'instance actors'],
  [/lrp-supervisor/, 'supervisor actor'],
  [/actors\/lrps\.js/, 'lrps actor'],
  [/runtime\/kernel|nact\//, 'kernel + nact (spawn, dispatch, registry)'],
  [/\(garbage collector\)/, 'GC'],
  [/\(idle\)/, 'idle'],
];
const cat = new Map();
for (const [id, us] of dt) {
  let found = 'other (node internals, timers, microtasks)';
  outer: for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur);
    const name = `${n.callFrame.url} ${n.callFrame.functionName}`;
    for (const [re, c] of CATEGORIES) if (re.test(name)) { found = c; break outer; }
  }
  cat.set(found, (cat.get(found) ?? 0) + us);
}
console.log('\n== by category (leaf-first attribution)');
for (const [k, us] of [...cat].sort((a, b) => b[1] - a[1])) console.log(pct(us), `${(us / 1e6).toFixed(2)} s`, k);
if (process.env.DETAIL) {
  const want = new RegExp(process.env.DETAIL);
  // inclusive time of functions under the matching category's frames, by function
  const m = new Map();
  for (const [id, us] of dt) {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      const k = `${n.callFrame.functionName || '(anon)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
      if (!want.test(k) || seen.has(k)) continue;
      seen.add(k);
      m.set(k, (m.get(k) ?? 0) + us);
    }
  }
  console.log(`\n== inclusive of functions matching ${want}`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(pct(us), k);
}
