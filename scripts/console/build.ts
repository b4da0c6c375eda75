/**
 * Builds the web console (console/src) into a folder the console function serves: `app.js`
 * (esbuild: one minified browser bundle with Preact and htm), `app.css` and `index.html`. Used by
 * the local stack (into `.hub/console`), by the CDK bundling of the console function (next to the
 * bundle) and by `npm run bench` (the shipped size). `tsx scripts/console/build.ts <outDir>` builds once.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = resolve(__dirname, '..', '..');
const source = join(root, 'console', 'src');

export interface ConsoleBuild {
  readonly outDir: string;
  /** Bytes of the shipped JavaScript, minified and gzipped. */
  readonly jsBytes: number;
  readonly jsGzipBytes: number;
}

export const buildConsole = async (outDir: string): Promise<ConsoleBuild> => {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(source, 'main.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    outfile: join(outDir, 'app.js'),
    logLevel: 'error',
    legalComments: 'none',
  });
  copyFileSync(join(source, 'app.css'), join(outDir, 'app.css'));
  copyFileSync(join(source, 'index.html'), join(outDir, 'index.html'));
  const js = readFileSync(join(outDir, 'app.js'));
  return { outDir, jsBytes: js.length, jsGzipBytes: gzipSync(js, { level: 9 }).length };
};

if (require.main === module) {
  const outDir = resolve(process.argv[2] ?? join(root, '.hub', 'console'));
  buildConsole(outDir).then(
    (built) => console.log(`console built in ${built.outDir}: app.js ${built.jsBytes} B, ${built.jsGzipBytes} B gzipped`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
