/**
 * `npm run export -- --out <dir> [--format dynamodb|jsonl] [--tables users,aliases] [--stage <name>]`
 * Exports the hub's tables for analysts: by default in DynamoDB's S3 export layout (what the deployed
 * daily export writes), or as plain JSON lines.
 */
import { parseArgs } from 'node:util';
import { exportTable } from '../functions/adapters/table-export';
import { ANALYST_EXPORT_TABLES, type TableKey } from '../functions/shared/definitions/tables';
import { progressBar } from './lib/progress';
import { resolveTarget } from './lib/target';

const main = async () => {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      format: { type: 'string', default: 'dynamodb' },
      tables: { type: 'string' },
      stage: { type: 'string' },
    },
  });
  if (!values.out) throw new Error('usage: npm run export -- --out <dir> [--format dynamodb|jsonl] [--tables users,aliases,...]');
  if (values.format !== 'dynamodb' && values.format !== 'jsonl') throw new Error('--format must be dynamodb or jsonl');
  const keys = (values.tables ? values.tables.split(',') : [...ANALYST_EXPORT_TABLES]) as TableKey[];
  // Only analyst tables: never the workspaces table (credentials) nor the idempotency records.
  const allowed: readonly string[] = ANALYST_EXPORT_TABLES;
  for (const key of keys) if (!allowed.includes(key)) throw new Error(`${key} is not an analyst table (${ANALYST_EXPORT_TABLES.join(', ')})`);
  const target = resolveTarget(values.stage);
  for (const key of keys) {
    const bar = progressBar(key.padEnd(10));
    const result = await exportTable(target.dynamo, target.table(key), values.out, values.format, (done, total) => bar.update(done, total));
    bar.done();
    console.log(`${key}: ${result.itemCount} items → ${result.files.length} file(s)`);
  }
};

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
