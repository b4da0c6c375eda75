// Lints source texts with the project's ESLint config (eslint.config.mjs, as `npm run lint` uses it)
// through ESLint's Node API, in a plain Node process (Jest's VM cannot load the ESM config).
// Only the layer rules run: the texts are virtual files, which the TypeScript project service
// (type information for the type-checked rules) cannot open, so it is switched off here.
// Input on stdin: [{ filePath, source }], paths relative to the repository root; output on stdout:
// the messages of each, in order.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';

const root = join(import.meta.dirname, '..', '..');
const cases = JSON.parse(readFileSync(0, 'utf8'));
const LAYER_RULES = new Set(['no-restricted-imports', 'no-restricted-properties', 'no-restricted-syntax']);
const eslint = new ESLint({
  cwd: root,
  overrideConfigFile: join(root, 'eslint.config.mjs'),
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  ruleFilter: ({ ruleId }) => LAYER_RULES.has(ruleId),
});
const results = [];
for (const { filePath, source } of cases) {
  const [result] = await eslint.lintText(source, { filePath: join(root, filePath) });
  results.push(result.messages.map(({ ruleId, severity, message, line }) => ({ ruleId, severity, message, line })));
}
process.stdout.write(JSON.stringify(results));
