// The layers of docs/ARCHITECTURE.md §2, checked by `npm run check:layers`.
// Paths are relative to the repository root. Type-only imports count as dependencies
// (tsPreCompilationDeps), so `import type` in the wrong direction is a violation too.
// The reporter (.dependency-cruiser-reporter.mjs) prints one line per violation.

const MODELS = '^models/';
const VOCABULARY = '^models/vocabulary\\.ts$';
const CONTRACT = '^handlers/contract/';
const POLICY = '^handlers/policy/';
const STORE = '^handlers/store/';
// Capabilities: the files directly in handlers/ (auth.ts, messages.ts, context.ts, ...).
const CAPABILITY = '^handlers/[^/]+\\.ts$';
const SERVER = '^server/';
// Packages, wherever they resolve (a symlinked node_modules resolves outside the repository).
const NODE_MODULES = '(^|/)node_modules/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle of imports that all exist at run time.',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-circular-type-only',
      severity: 'error',
      comment: 'A cycle that closes only through `import type` (erased at compile time, still a knot in the design).',
      from: {},
      to: { circular: true, via: { dependencyTypes: ['type-only'] } },
    },
    {
      name: 'models-only-models',
      severity: 'error',
      comment: 'models/ imports nothing of ours outside models/ (packages such as mongoose are fine).',
      from: { path: MODELS },
      to: { pathNot: [MODELS, NODE_MODULES], dependencyTypesNot: ['core'] },
    },
    {
      name: 'contract-pure',
      severity: 'error',
      comment: 'handlers/contract/ imports only itself, models/vocabulary.ts and zod.',
      from: { path: CONTRACT },
      to: { pathNot: [CONTRACT, VOCABULARY, `${NODE_MODULES}zod/`] },
    },
    {
      name: 'policy-pure',
      severity: 'error',
      comment:
        'handlers/policy/ (the pure can(), severity) imports only itself, handlers/contract/ and models/vocabulary.ts.',
      from: { path: POLICY },
      to: { pathNot: [POLICY, CONTRACT, VOCABULARY] },
    },
    {
      name: 'store-not-up',
      severity: 'error',
      comment:
        'handlers/store/ imports models/, handlers/contract/, itself and packages: never a capability, policy or server/.',
      from: { path: STORE },
      to: { path: [CAPABILITY, POLICY, SERVER] },
    },
    {
      name: 'capability-no-model',
      severity: 'error',
      comment:
        'Capabilities (handlers/*.ts) reach the data through handlers/store/; from models/ only models/vocabulary.ts.',
      from: { path: CAPABILITY },
      to: { path: MODELS, pathNot: VOCABULARY },
    },
    {
      name: 'no-handlers-models-to-server',
      severity: 'error',
      comment: 'Nothing in handlers/ or models/ imports from server/ (not even a type).',
      from: { path: ['^handlers/', MODELS] },
      to: { path: SERVER },
    },
    {
      name: 'server-no-model',
      severity: 'error',
      comment: 'server/ imports handlers/ and models/vocabulary.ts, not a model (packages such as mongoose are fine).',
      from: { path: SERVER },
      to: { path: MODELS, pathNot: VOCABULARY },
    },
    {
      name: 'no-production-to-test',
      severity: 'error',
      comment: 'server/, handlers/ and models/ never import test code.',
      from: { path: ['^server/', '^handlers/', MODELS] },
      to: { path: '^test/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing would slip past every rule above.',
      from: {},
      // The console's browser modules load Socket.IO's client from the server at run time.
      to: { couldNotResolve: true, pathNot: '^/socket\\.io/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|embedded-db|\\.stoa-db|data|coverage)/' },
    moduleSystems: ['cjs', 'es6'],
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
