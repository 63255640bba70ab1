// Layer and cycle rules for src/, checked by `npm run check:layers` and by test/layers.test.ts.
//
// Layers, lowest first (a layer may import the ones below it, never the ones above):
//   base        errors, json, events, config, observability, net, ids, dunning, mapping, privacy
//   ports       store/ports.ts, store/privacy-ports.ts, store/locks.ts, store/store-error.ts,
//               domain/ports.ts (record and port types only)
//   domain      domain/**, stock/** (pure rules; they reach storage only through domain/ports.ts
//               and stock/reorder-port.ts)
//   adapters    store/** (sqlite, postgres); they implement the ports and may carry the domain's
//               record types (domain/ports.ts, type-only), nothing of the domain's implementation
//   flows       pipeline/**, reconcile/**, http/**, ingest/**
//   composition composition/**, src/*.ts (hub, runtime), cli/**, demo/**: wire the layers together
//
// Rule chosen for the store ports: src/store/** may import src/domain/ports.ts and nothing else
// of src/domain; every other domain file is implementation and off limits to storage.
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
    // Tests are consumers of every layer, not part of one.
    exclude: { path: '(^|/)(node_modules|dist)/|^test/|\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    // folder-scoped rules (the cycle rule) are checked on the folder graph, derived with the metrics
    metrics: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['cjs', 'es6'],
  },
};
