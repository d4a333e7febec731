// Architectural boundaries (DESIGN section 1, STYLE item 20). `npm run lint:deps` runs this; test/boundaries.spec.ts
// proves every rule below can fail against the fixture tree in test/fixtures/boundaries/.
// Paths are relative to the folder depcruise runs from (the repo root, or the fixture root in the boundary test).

/** Packages the pure core may use: codecs and Either (fp-ts, io-ts) and hashing for commandIds (node:crypto). */
const PURE_CORE_PACKAGES = ['(^|/)node_modules/(fp-ts|io-ts)/', '^(node:)?crypto$'];

/** Node builtins that reach the outside world (I/O, processes, clocks, threads). */
const IO_BUILTINS =
  '^(node:)?(fs|net|http|https|http2|dgram|dns|tls|child_process|cluster|os|timers|worker_threads|process|perf_hooks)(/|$)';

/** Unit tests may sit beside the code (DESIGN section 1); they may use test tooling, the rules target the code. */
const SPEC = '\\.spec\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-imports-only-domain',
      severity: 'error',
      comment: 'domain/ is pure: it imports only domain/, fp-ts, io-ts and node:crypto (for commandId hashes).',
      from: { path: '^domain/', pathNot: SPEC },
      to: { pathNot: ['^domain/', ...PURE_CORE_PACKAGES], couldNotResolve: false },
    },
    {
      name: 'projections-import-only-domain',
      severity: 'error',
      comment: 'projections/ are pure folds: they import only projections/, domain/, fp-ts, io-ts and node:crypto.',
      from: { path: '^projections/', pathNot: SPEC },
      to: { pathNot: ['^(projections|domain)/', ...PURE_CORE_PACKAGES], couldNotResolve: false },
    },
    {
      name: 'pure-core-no-io',
      severity: 'error',
      comment: 'domain/ and projections/ do no I/O: no AWS SDK, file system, network, processes, clocks or threads.',
      from: { path: '^(domain|projections)/', pathNot: SPEC },
      to: { path: [IO_BUILTINS, '(^|/)node_modules/@aws-sdk/', '^@aws-sdk/'] },
    },
    {
      name: 'pure-core-not-to-outer-layers',
      severity: 'error',
      comment: 'domain/ and projections/ define ports; handlers/ and adapters/ depend on them, never the reverse.',
      from: { path: '^(domain|projections)/' },
      to: { path: '^(handlers|adapters)/' },
    },
    {
      name: 'adapters-not-to-other-adapters',
      severity: 'error',
      comment:
        'Adapters never import each other (adapters/<a> may import its own subfolders, domain/, projections/, and the ' +
        'helpers in adapters/shared/, which import no adapter).',
      from: { path: '^adapters/([^/]+)/' },
      to: { path: '^adapters/', pathNot: ['^adapters/$1/', '^adapters/shared/'] },
    },
    {
      name: 'adapters-not-to-handlers',
      severity: 'error',
      comment: 'handlers/ hold the composition root; adapters are wired by it and never reach back into it.',
      from: { path: '^adapters/' },
      to: { path: '^handlers/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Runtime import cycles make ESM evaluation order matter. Type-only cycles are erased by tsc, so allowed.',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import must resolve, so a broken resolver configuration cannot silently pass the rules above.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-non-package-json',
      severity: 'error',
      comment: 'Import only packages declared in package.json, never something that happens to be installed.',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // node_modules is not excluded (that would drop the imports themselves); doNotFollow stops at it.
    exclude: { path: '^(dist|coverage|test/fixtures)/' },
    // Type-only imports count: a domain type must not come from an adapter either.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      // NodeNext style `import x from './foo.js'` where foo.ts exists: dependency-cruiser retries an unresolved `.js`
      // as `.ts`/`.d.ts` itself (its schema rejects enhanced-resolve's `extensionAlias`). The boundary test and the
      // not-to-unresolvable rule prove it resolves.
      extensions: ['.ts', '.js', '.d.ts', '.json'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: { text: { highlightFocused: true } },
  },
};
