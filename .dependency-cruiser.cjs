/**
 * Auctor's layers, enforced (`npm run lint:layers`, part of `npm test` and CI).
 * docs/010-architecture.md, "Layers and their rules", lists the rules; keep the two in step.
 *
 *   base <- runtime (persistence <- kernel <- remoting <- cluster) <- models <- auction
 *        <- garden <- executor <- actors <- edges (gateway, router, metrics, cli)
 *
 * Sources are parsed with swc (TypeScript 7 has no JS API for dependency-cruiser's tsc parser),
 * so `import type` counts like any import for the layer rules: a layer may not even name a type
 * of a layer above it. swc cannot tell type-only imports apart, so the cycle rule reads the
 * JavaScript tsc emits (dist/src, where type-only imports are erased): the cycles node evaluates.
 */
const SRC = '^src/';
const EXAMPLES_RUNTIME = '^examples/runtime/';
/** a module of ours, where a layer rule applies (dist/ is cruised for cycles only) */
const OURS = '^(src|examples)/';
const pkg = (name) => `(^|/)node_modules/${name}/`;

/** node builtins with effects (files, processes, sockets, timers, threads): not for pure code */
const EFFECTFUL_BUILTINS =
  '^(node:)?(fs|fs/promises|child_process|net|tls|dgram|dns|http|https|http2|timers|timers/promises|worker_threads|cluster)$';

module.exports = {
  forbidden: [
    {
      name: 'base-imports-no-other-layer',
      comment: 'src/base is the bottom: clock, logger, errors, plumbing every layer shares. Importing anything above it would make every layer depend on that.',
      severity: 'error',
      from: { path: '^src/base/' },
      to: { path: SRC, pathNot: '^src/base/' },
    },
    {
      name: 'runtime-imports-only-base-and-runtime',
      comment: 'The actor runtime (kernel, persistence, remoting, cluster) knows nothing of the scheduler and can be used alone (examples/runtime); the scheduler plugs into it through hooks, never the other way.',
      severity: 'error',
      from: { path: '^src/runtime/' },
      to: { path: SRC, pathNot: '^src/(base|runtime)/' },
    },
    {
      name: 'persistence-imports-no-kernel-remoting-cluster',
      comment: 'Persistence is the runtime\'s bottom: the journal engines know no actors, no transport and no cluster.',
      severity: 'error',
      from: { path: '^src/runtime/persistence/' },
      to: { path: '^src/runtime/(kernel|remoting|cluster)/' },
    },
    {
      name: 'kernel-imports-no-remoting-cluster',
      comment: 'The kernel runs one node on its own; remoting and cluster install themselves into it (RemoteRouter), so a node without them is still a whole actor system.',
      severity: 'error',
      from: { path: '^src/runtime/kernel/' },
      to: { path: '^src/runtime/(remoting|cluster)/' },
    },
    {
      name: 'remoting-imports-no-cluster',
      comment: 'Remoting carries messages between nodes; membership and failure detection sit on top of it and drive it, not the reverse.',
      severity: 'error',
      from: { path: '^src/runtime/remoting/' },
      to: { path: '^src/runtime/cluster/' },
    },
    {
      name: 'models-import-only-base-and-models',
      comment: 'Models are pure data and rules: no actors, no runtime, no I/O, so they stay fast to test and every layer above can use them.',
      severity: 'error',
      from: { path: '^src/models/' },
      to: { path: SRC, pathNot: '^src/(base|models)/' },
    },
    {
      name: 'auction-imports-only-base-and-models',
      comment: 'The auction is pure placement (like Diego\'s auction package): it scores cells from models and performs no effects.',
      severity: 'error',
      from: { path: '^src/auction/' },
      to: { path: SRC, pathNot: '^src/(base|models|auction)/' },
    },
    {
      name: 'models-and-auction-stay-pure',
      comment: 'Models and the auction never touch files, processes, sockets, timers, threads, nact, LMDB or gRPC: their functions take `now` and data and return data (the caller performs the effects).',
      severity: 'error',
      from: { path: '^src/(models|auction)/' },
      to: { path: [EFFECTFUL_BUILTINS, pkg('nact'), pkg('lmdb'), pkg('@grpc/grpc-js')] },
    },
    {
      name: 'garden-imports-only-base',
      comment: 'Garden (the container backends) knows nothing of actors or the scheduler, like Diego\'s Garden: it may use base, its own files, node builtins and npm packages.',
      severity: 'error',
      from: { path: '^src/garden/' },
      to: { path: SRC, pathNot: '^src/(base|garden)/' },
    },
    {
      name: 'executor-imports-only-base-models-garden',
      comment: 'The executor\'s actions and health checks run work in containers: they need Garden and the models, never the actors that drive them.',
      severity: 'error',
      from: { path: '^src/executor/' },
      to: { path: SRC, pathNot: '^src/(base|models|garden|executor)/' },
    },
    {
      name: 'actors-import-no-edges',
      comment: 'The actors return data and outcomes; the edges (gateway, router, metrics, cli) map them to HTTP, routes, gauges and flags. An actor importing an edge would decide an HTTP status.',
      severity: 'error',
      from: { path: '^src/actors/' },
      to: { path: '^src/(gateway|router|metrics|cli)/' },
    },
    {
      name: 'only-kernel-imports-nact',
      comment: 'nact is patched by the kernel (shield, children-view, turns) and pinned for it; everything else goes through the kernel\'s API so a nact upgrade touches one folder.',
      severity: 'error',
      from: { path: OURS, pathNot: '^src/runtime/kernel/' },
      to: { path: pkg('nact') },
    },
    {
      name: 'only-kernel-imports-nact-internals',
      comment: 'nact-internals.ts reaches into nact\'s private objects; only the kernel may, so remoting and cluster deliver through the kernel API (and its dead-letter accounting).',
      severity: 'error',
      from: { path: OURS, pathNot: '^src/runtime/kernel/' },
      to: { path: '^src/runtime/kernel/nact-internals\\.ts$' },
    },
    {
      name: 'only-persistence-imports-lmdb',
      comment: 'LMDB is the persistence engine\'s business: everything else reaches the journal through the engine contract (src/runtime/persistence/engine.ts), so the memory engine can stand in.',
      severity: 'error',
      from: { path: OURS, pathNot: '^src/runtime/persistence/' },
      to: { path: pkg('lmdb') },
    },
    {
      name: 'only-remoting-imports-grpc',
      comment: 'gRPC is remoting\'s transport; the rest of the system sends to refs and never sees a channel.',
      severity: 'error',
      from: { path: OURS, pathNot: '^src/runtime/remoting/' },
      to: { path: pkg('@grpc/grpc-js') },
    },
    {
      name: 'examples-runtime-imports-only-base-and-runtime',
      comment: 'examples/runtime shows the runtime used alone: it may import src/base, src/runtime and its own files, nothing of the scheduler.',
      severity: 'error',
      from: { path: EXAMPLES_RUNTIME },
      to: { dependencyTypes: ['local'], pathNot: ['^src/(base|runtime)/', EXAMPLES_RUNTIME] },
    },
    {
      name: 'no-unresolvable-import',
      comment: 'An import the cruiser cannot resolve escapes every rule above; name it (a missing file or package) rather than let it slip through.',
      severity: 'error',
      from: { path: OURS },
      to: { couldNotResolve: true },
    },
    {
      name: 'no-import-cycles',
      comment: 'Modules that import each other (type-only imports aside: dist/ is what tsc emits) are evaluated half-initialised by node and cannot be understood or moved apart; break the cycle by moving what both need below them.',
      severity: 'error',
      from: { path: '^dist/src/' },
      to: { circular: true },
    },
  ],
  options: {
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    // the JSON fixtures in examples/ are data, not modules
    exclude: { path: '\\.json$' },
    moduleSystems: ['es6', 'cjs'],
  },
};
