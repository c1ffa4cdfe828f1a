/**
 * The layer rules of docs/architecture.md, checked by `npm run lint` (and by
 * test/core/architecture.test.ts, which plants violations to show each rule bites).
 */
const CAPABILITIES =
  '(broker|bus|geo|campaigns|offers|devices|delivery|fraud|sentiment|recommendations|console)';
const FOUNDATION =
  '(errors|config|observability|lifecycle|envelope|records|redis|kafka-protocol|local-time|auth|http|bench)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'No import cycles, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'capability-internals',
      comment:
        "A folder of core/src imports another folder only through that folder's index.ts (its public face).",
      severity: 'error',
      from: { path: '^core/src/([^/]+)/' },
      to: { path: '^core/src/([^/]+)/', pathNot: ['^core/src/$1/', '^core/src/[^/]+/index\\.ts$'] },
    },
    {
      name: 'packages-through-their-face',
      comment: 'Other packages use core only as @hexcast/core (core/src/index.ts).',
      severity: 'error',
      from: { path: '^(edge-gateway|simulator|models|mobile-sdk)/' },
      to: { path: '^core/src/', pathNot: '^core/src/index\\.ts$' },
    },
    {
      name: 'no-composition-root-imports',
      comment: 'Nothing imports the composition root (core/src/cli) but the CLI itself and its binary.',
      severity: 'error',
      from: { pathNot: '^core/(src/cli|bin)/' },
      to: { path: '^core/src/cli/' },
    },
    {
      name: 'foundation-stays-down',
      comment: 'The shared foundation never imports the bus, the runtime, the API shell or a capability.',
      severity: 'error',
      from: { path: `^core/src/${FOUNDATION}/` },
      to: { path: `^core/src/(${CAPABILITIES.slice(1, -1)}|runtime|api|cli)/` },
    },
    {
      name: 'runtime-knows-no-capability',
      comment: 'The runtime and the API shell compose capabilities; they never import one.',
      severity: 'error',
      from: { path: '^core/src/(runtime|api)/' },
      to: {
        path: '^core/src/(geo|campaigns|offers|devices|delivery|fraud|sentiment|recommendations|console)/',
      },
    },
    {
      name: 'sdk-imports-no-server',
      comment: 'The SDK runs on phones and in browsers: nothing from the server packages.',
      severity: 'error',
      from: { path: '^mobile-sdk/src/' },
      to: { path: '^(core|edge-gateway|models|simulator)/' },
    },
    {
      name: 'sdk-dependencies',
      comment: 'The SDK depends on mqtt.js alone (its bundle budget).',
      severity: 'error',
      from: { path: '^mobile-sdk/src/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-peer', 'npm-optional'], pathNot: 'node_modules/mqtt/' },
    },
    {
      name: 'device-protocol-standalone',
      comment: 'The device protocol module (shared by the gateway and the SDK) has no dependency at all.',
      severity: 'error',
      from: { path: '^mobile-sdk/src/protocol\\.ts$' },
      to: { pathNot: '^mobile-sdk/src/protocol\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    combinedDependencies: true,
    enhancedResolveOptions: {
      conditionNames: ['source', 'import', 'types', 'default'],
      exportsFields: ['exports'],
      extensions: ['.ts', '.js', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
