// Layer and cycle rules for src/, checked by `npm run check:layers` and by test/layers.test.ts.
//
// Layers, lowest first (a layer imports only those below it; the rules below enforce the edges
// that matter, and the folder-cycle rule catches the rest):
//   base        errors, json, events, config, observability, net, util, dunning, mapping, privacy,
//               sdk (the public connector SDK: errors, net, json and util only, never config)
//   domain      domain/**, stock/**: pure rules. They reach storage only through their own ports,
//               domain/ports.ts and stock/reorder-port.ts (a narrow slice), never store/**
//   storage     store/** (ports and adapters): implements the ports
//   flows       pipeline/**, reconcile/**, http/**, ingest/**: use ports, never adapters
//   composition composition/**, src/*.ts (hub, runtime), cli/**, demo/**: wire the layers together
//
// Rule chosen for the store: src/store/** may import src/domain/ports.ts (the domain's port, its
// record types and the tiny value helpers beside them: storage implements that port, so the
// dependency points from adapter to port) and nothing else of src/domain. The domain, in turn,
// imports nothing from src/store, so the two folders never form a cycle.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment: 'Folders under src/ depend on each other one way only (a cycle means a missing layer).',
      from: { path: '^src/[^/]+' },
      to: { circular: true, path: '^src/[^/]+' },
      scope: 'folder',
    },
    {
      name: 'store-not-above-ports',
      severity: 'error',
      comment: 'Storage (ports and adapters) imports no flow, no HTTP and no domain implementation.',
      from: { path: '^src/store/' },
      to: { path: '^src/(pipeline|reconcile|stock|http|composition)/|^src/domain/(?!ports\\.ts$)' },
    },
    {
      name: 'domain-not-above-ports',
      severity: 'error',
      comment: 'The domain (domain/, stock/) takes its own narrow ports (never the whole Store), and no flow or wiring.',
      from: { path: '^src/(domain|stock)/' },
      to: { path: '^src/(store|pipeline|reconcile|http|composition|cli|demo)/|^src/[^/]+\\.ts$' },
    },
    {
      name: 'flows-not-composition',
      severity: 'error',
      comment: 'Pipeline, reconcile, HTTP and ingest do not reach up into the wiring or into adapters.',
      from: { path: '^src/(pipeline|reconcile|http|ingest)/' },
      to: { path: '^src/(composition|cli|demo)/|^src/store/(sqlite|postgres)/|^src/hub\\.ts$' },
    },
    {
      name: 'sqlite-in-adapter',
      severity: 'error',
      comment: 'better-sqlite3 stays inside src/store/sqlite (the adapter and its file locks).',
      from: { path: '^src/', pathNot: '^src/store/sqlite/' },
      to: { path: '^node_modules/(@types/)?better-sqlite3/' },
    },
    {
      name: 'pg-in-adapter',
      severity: 'error',
      comment: 'node-postgres stays inside src/store/postgres.',
      from: { path: '^src/', pathNot: '^src/store/postgres/' },
      to: { path: '^node_modules/(@types/)?pg/' },
    },
    {
      name: 'sdk-self-contained',
      severity: 'error',
      comment: 'The public connector SDK owns its types: a config change must not break third-party connectors.',
      from: { path: '^src/sdk/' },
      to: { path: '^src/', pathNot: '^src/(sdk|errors|net|json|util)/' },
    },
    {
      name: 'connectors-only-sdk',
      severity: 'error',
      comment: 'Connectors import only the public SDK (tests may reach further).',
      from: { path: '^connectors/', pathNot: '\\.test\\.ts$' },
      to: { path: '^src/', pathNot: '^src/sdk(/index\\.ts)?$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // external modules resolve to node_modules/<name>/… (the driver rules match on that)
    // Tests are consumers of every layer, not part of one.
    exclude: { path: '^dist/|^test/|\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    // folder-scoped rules (the cycle rule) are checked on the folder graph, derived with the metrics
    metrics: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['cjs', 'es6'],
  },
};
