/**
 * The web console's built files (scripts/console/build.ts writes them): `index.html`, `app.js`,
 * `app.css`. In Lambda they sit in `console/` next to the bundle (copied at bundling time); the
 * local stack points `CONSOLE_ASSETS_DIR` at its own build. Read once per warm process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { consoleAssetsDir } from '../shared/config';

export interface ConsoleAsset {
  readonly body: string;
  readonly contentType: string;
}

/** The files the console consists of, with their content types: nothing else is ever read. */
export const CONSOLE_FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

const cache = new Map<string, ConsoleAsset>();

/** One built file by name, or undefined for a name that is not a console file (or was not built). */
export const consoleAsset = (name: string): ConsoleAsset | undefined => {
  const contentType = Object.hasOwn(CONSOLE_FILES, name) ? CONSOLE_FILES[name] : undefined;
  if (contentType === undefined) return undefined;
  const cached = cache.get(name);
  if (cached) return cached;
  const path = join(consoleAssetsDir() ?? join(__dirname, 'console'), name);
  if (!existsSync(path)) return undefined;
  const asset = { body: readFileSync(path, 'utf8'), contentType };
  cache.set(name, asset);
  return asset;
};
