// The dependency rules of docs/architecture.md ("Layers"), checked by test/dependencies.spec.ts.
// Type-only imports count: a cycle through types is still a cycle for a reader.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'no import cycles, type imports included',
      from: {},
      to: { circular: true }
    },
    {
      name: 'wire-is-the-bottom',
      severity: 'error',
      comment: 'the wire (codecs, domains, envelopes) imports nothing of the runtime above it',
      from: { path: '^src/wire/' },
      to: { path: '^src/', pathNot: '^src/(wire|util|errors)/' }
    },
    {
      name: 'util-and-errors-are-the-bottom',
      severity: 'error',
      comment: 'helpers and error classes import nothing of the runtime but each other',
      from: { path: '^src/(util|errors)/' },
      to: { path: '^src/', pathNot: '^src/(util|errors)/' }
    },
    {
      name: 'rpc-below-services',
      severity: 'error',
      comment: 'req/resp and sessions know the wire, not the services that use them',
      from: { path: '^src/rpc/' },
      to: { path: '^src/', pathNot: '^src/(wire|rpc|util|errors)/' }
    },
    {
      name: 'mesh-below-services',
      severity: 'error',
      comment: 'the libp2p node and its helpers know rpc and the wire, not the services',
      from: { path: '^src/mesh/' },
      to: { path: '^src/', pathNot: '^src/(wire|rpc|mesh|util|errors)/' }
    },
    {
      name: 'nothing-below-imports-the-composition-root',
      severity: 'error',
      comment: 'src/node wires the services together; only the API layer, the CLI and the package entry points sit above it',
      from: { path: '^src/', pathNot: '^src/(node|api|cli)/|^src/index\\.ts$' },
      to: { path: '^src/node/' }
    },
    {
      name: 'nothing-below-imports-the-http-layer',
      severity: 'error',
      comment: 'src/api serves a node over HTTP; the runtime never depends on it',
      from: { path: '^src/', pathNot: '^src/(api|cli)/|^src/index\\.ts$' },
      to: { path: '^src/api/' }
    },
    {
      name: 'only-the-cli-imports-the-cli',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' }
    },
    {
      name: 'the-runtime-imports-no-tests-or-bench',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|examples)/' }
    }
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' }
  }
}
