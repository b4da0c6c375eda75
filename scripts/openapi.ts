/** `npm run openapi`: writes docs/openapi.json from the function definitions and zod schemas. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildOpenApi } from '../functions/shared/openapi';
import { version } from '../package.json';

const file = resolve(__dirname, '..', 'docs', 'openapi.json');
writeFileSync(file, `${JSON.stringify(buildOpenApi(version), null, 2)}\n`);
console.log(`wrote ${file}`);
