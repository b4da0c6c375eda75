// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Import restrictions. In flat config a later block's `no-restricted-imports` replaces an earlier
// one for the files it matches, so every block lists everything that applies to its folder.
// Bundle size: only a namespace import of zod/mini lets esbuild drop what a function does not use
// (`import { z }` pulls in all of zod, ~430 KB per function).
const ZOD = {
  paths: [{ name: 'zod', message: "Use `import * as z from 'zod/mini'` (tree-shakes)." }],
  patterns: [{ group: ['zod/v4*', 'zod/v3*'], message: "Use `import * as z from 'zod/mini'`." }],
};
/** A relative import of a functions/ folder (`../adapters/x`, `../../domain/y`). */
const folder = (name, message) => ({ regex: `^\\.{1,2}/(?:.*/)?${name}(?:/.*)?$`, message });
const LAYERS = {
  cdk: {
    paths: [
      { name: 'aws-cdk-lib', message: 'functions/ is runtime code: CDK belongs in lib/.' },
      { name: 'constructs', message: 'functions/ is runtime code: CDK belongs in lib/.' },
    ],
    patterns: [{ regex: '^aws-cdk-lib/', message: 'functions/ is runtime code: CDK belongs in lib/.' }],
  },
  sdk: { patterns: [{ regex: '^@aws-sdk/', message: 'domain/ knows no AWS SDK: put the call in an adapter behind a port (domain/ports.ts).' }] },
  adapters: { patterns: [folder('adapters', 'Only handlers (the composition roots) build adapters; take a port instead.')] },
  handlers: { patterns: [folder('handlers', 'Nothing imports a handler: handlers are entry points.')] },
  domain: { patterns: [folder('domain', 'shared/ is below domain/: it must not import it.')] },
  transport: {
    patterns: [
      folder(
        'shared/(?:errors|http|enqueue|sqs-worker|auth|cursor)',
        'domain/ knows no HTTP or SQS: return a typed outcome (the handler maps it) and publish or sign through a port.',
      ),
    ],
  },
};
/** A named import of zod/mini (defeats tree-shaking). */
const ZOD_NAMED_IMPORT = {
  selector: "ImportDeclaration[source.value='zod/mini'] > ImportSpecifier",
  message: "Use `import * as z from 'zod/mini'`: named imports of `z` defeat tree-shaking.",
};
/** An interface with a method returning a Promise: a port, which belongs in domain/ports.ts or domain/ports/. */
const PORT_OUTSIDE_PORTS = {
  selector: "TSInterfaceDeclaration > TSInterfaceBody > TSMethodSignature > TSTypeAnnotation > TSTypeReference[typeName.name='Promise']",
  message: 'Ports (interfaces whose methods return a Promise) are declared in functions/domain/ports.ts or functions/domain/ports/.',
};
/** `new Date()` reads the time: only `systemClock` (domain/ports.ts) may; `new Date(ms)` only converts. */
// package.json declares functions/ free of import side effects (bundles drop unused modules): a module
// declares; it never acts at import (docs/architecture.md "Bundles keep only what a handler uses").
const TOP_LEVEL_STATEMENT = {
  selector: 'Program > ExpressionStatement',
  message: 'No statement runs at import under functions/: package.json marks these modules free of side effects, so a bundle may drop them.',
};
const NEW_DATE_NOW = {
  selector: "NewExpression[callee.name='Date'][arguments.length=0]",
  message: 'Read time from the injected Clock (domain/ports.ts), not `new Date()`.',
};
const PROCESS_ENV = { object: 'process', property: 'env', message: 'Read configuration through functions/shared/config.ts.' };
const DATE_NOW = { object: 'Date', property: 'now', message: 'Read time from the injected Clock (domain/ports.ts): `systemClock` is the one reader of Date.now().' };
const restrictImports = (...groups) => [
  'error',
  {
    paths: [...ZOD.paths, ...groups.flatMap((group) => group.paths ?? [])],
    patterns: [...ZOD.patterns, ...groups.flatMap((group) => group.patterns ?? [])],
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.hub/', 'coverage/', 'bench/', '**/*.mjs', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': restrictImports(),
      'no-restricted-syntax': ['error', ZOD_NAMED_IMPORT],
    },
  },
  // Layers (docs/architecture.md). Nothing under functions/ imports CDK.
  { files: ['functions/**/*.ts'], rules: { 'no-restricted-imports': restrictImports(LAYERS.cdk) } },
  // shared/ sits below domain/ and adapters/.
  {
    files: ['functions/shared/**/*.ts'],
    rules: { 'no-restricted-imports': restrictImports(LAYERS.cdk, LAYERS.adapters, LAYERS.domain) },
  },
  // domain/ is pure logic behind ports: no SDK, no adapter, no handler.
  {
    files: ['functions/domain/**/*.ts'],
    rules: { 'no-restricted-imports': restrictImports(LAYERS.cdk, LAYERS.sdk, LAYERS.adapters, LAYERS.handlers) },
  },
  // domain/ imports no HTTP or SQS code from shared/ (errors with HTTP statuses, the HTTP and
  // worker frameworks, queue batching, bearer auth, cursor signing).
  {
    files: ['functions/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports(LAYERS.cdk, LAYERS.sdk, LAYERS.adapters, LAYERS.handlers, LAYERS.transport),
    },
  },
  // One clock: time comes from the injected Clock port, never from `new Date()` (see Date.now below).
  { files: ['functions/**/*.ts'], rules: { 'no-restricted-syntax': ['error', ZOD_NAMED_IMPORT, NEW_DATE_NOW, TOP_LEVEL_STATEMENT] } },
  // Every port is declared in domain/ports.ts (or domain/ports/, which it re-exports).
  {
    files: ['functions/domain/**/*.ts'],
    ignores: ['functions/domain/ports.ts', 'functions/domain/ports/**'],
    rules: { 'no-restricted-syntax': ['error', ZOD_NAMED_IMPORT, NEW_DATE_NOW, PORT_OUTSIDE_PORTS, TOP_LEVEL_STATEMENT] },
  },
  // One config reader: only shared/config.ts reads the environment.
  // ... and one clock: `systemClock` (domain/ports.ts) is the one reader of Date.now().
  { files: ['functions/**/*.ts'], rules: { 'no-restricted-properties': ['error', PROCESS_ENV, DATE_NOW] } },
  { files: ['functions/shared/config.ts'], rules: { 'no-restricted-properties': ['error', DATE_NOW] } },
  { files: ['functions/domain/ports.ts'], rules: { 'no-restricted-properties': ['error', PROCESS_ENV] } },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
);
