/**
 * Bundle size and cold-start cost of every function: each handler is bundled exactly as the CDK
 * stack bundles it (esbuild, CommonJS, minified, AWS SDK external), sized from the metafile, then
 * required by 20 fresh `node` processes; the median module init time is reported.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { FUNCTIONS, functionDefinitions, type FunctionKey } from '../../functions/shared/definitions/functions';

/** A function's bundle may be at most this big (README "Performance"). */
export const BUNDLE_BUDGET_BYTES = 200 * 1024;

export interface BundleResult {
  readonly function: string;
  readonly minifiedBytes: number;
  readonly withinBudget: boolean;
  readonly initMsMedian: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** The repository root, whose package.json (`sideEffects`) esbuild reads as the CDK bundling does. */
const ROOT = resolve(__dirname, '..', '..');

/**
 * Bundles one function with the options of lib/constructs/hub-function.ts (CommonJS, minified,
 * node24, AWS SDK external) into `outfile`; returns its size in bytes.
 */
export const bundleFunction = async (key: FunctionKey, outfile: string): Promise<number> => {
  const built = await build({
    entryPoints: [join(ROOT, FUNCTIONS[key].entry)],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    external: ['@aws-sdk/*', '@smithy/*'],
    outfile,
    metafile: true,
    logLevel: 'error',
  });
  return Object.values(built.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
};

export const measureBundles = async (outDir: string, runs = 20): Promise<BundleResult[]> => {
  const root = ROOT;
  mkdirSync(outDir, { recursive: true });
  const results: BundleResult[] = [];
  for (const [key] of functionDefinitions()) {
    const outfile = join(outDir, `${key}.js`);
    const minifiedBytes = await bundleFunction(key, outfile);
    const timings: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      // The SDK is external (as in Lambda, where the runtime provides it): resolve it from this repo.
      const output = execFileSync(
        process.execPath,
        ['-e', `const t=process.hrtime.bigint();require(${JSON.stringify(outfile)});console.log(Number(process.hrtime.bigint()-t)/1e6)`],
        { env: { ...process.env, NODE_PATH: join(root, 'node_modules'), AWS_REGION: 'us-east-1', POWERTOOLS_METRICS_DISABLED: 'true' } },
      );
      timings.push(Number(output.toString().trim()));
    }
    results.push({ function: key, minifiedBytes, withinBudget: minifiedBytes <= BUNDLE_BUDGET_BYTES, initMsMedian: median(timings) });
  }
  return results;
};
