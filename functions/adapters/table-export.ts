/**
 * Local analyst export: writes a table in the layout DynamoDB's ExportTableToPointInTime writes to S3
 * (`AWSDynamoDB/<exportId>/manifest-summary.json`, `manifest-files.json`, and gzipped DynamoDB-JSON
 * lines `{"Item":{…}}` under `data/`), so tooling built on a real export reads a local one unchanged.
 * `jsonl` writes plain unmarshalled JSON lines instead.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { DescribeTableCommand, ScanCommand, type AttributeValue, type DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { systemClock, type Clock } from '../domain/ports';

export type ExportFormat = 'dynamodb' | 'jsonl';

export interface ExportResult {
  readonly table: string;
  readonly itemCount: number;
  readonly files: string[];
}

/** Items per data file (DynamoDB splits its export into several files in the same way). */
const ITEMS_PER_FILE = 50_000;

const writeGzipLines = async (file: string, lines: string[]): Promise<{ md5: string }> => {
  const gzip = createGzip();
  const out = createWriteStream(file);
  const hash = createHash('md5');
  gzip.on('data', (chunk: Buffer) => hash.update(chunk));
  gzip.pipe(out);
  for (const line of lines) gzip.write(`${line}\n`);
  gzip.end();
  await new Promise<void>((resolve, reject) => {
    out.on('finish', () => resolve());
    out.on('error', reject);
  });
  return { md5: hash.digest('base64') };
};

interface Scanned {
  readonly description: TableDescription | undefined;
  readonly items: Record<string, AttributeValue>[];
  /** When the scan started, epoch ms (the export's point in time). */
  readonly started: number;
}

/** Every item of the table, 1 MB Scan pages; `onProgress` gets the items done so far. */
const scanTable = async (client: DynamoDBClient, tableName: string, clock: Clock, onProgress: (done: number, estimated: number) => void): Promise<Scanned> => {
  const description = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  const estimated = description?.ItemCount ?? 0;
  const started = clock.now();
  const items: Record<string, AttributeValue>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
    onProgress(items.length, Math.max(estimated, items.length));
  } while (startKey);
  return { description, items, started };
};

/** Plain unmarshalled JSON lines, one file. */
const writeJsonl = (tableName: string, outDir: string, { items }: Scanned): ExportResult => {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${tableName}.jsonl`);
  writeFileSync(file, items.map((item) => JSON.stringify(unmarshall(item))).join('\n') + (items.length > 0 ? '\n' : ''));
  return { table: tableName, itemCount: items.length, files: [file] };
};

/** ExportTableToPointInTime's layout: gzipped DynamoDB-JSON data files and the two manifests. */
const writeDynamoExport = async (tableName: string, outDir: string, { description, items, started }: Scanned, clock: Clock): Promise<ExportResult> => {
  const exportId = `${clock.now()}-${randomBytes(4).toString('hex')}`;
  const base = join('AWSDynamoDB', exportId);
  const root = join(outDir, tableName);
  mkdirSync(join(root, base, 'data'), { recursive: true });
  const manifestFiles: string[] = [];
  const files: string[] = [];
  for (let start = 0; start === 0 || start < items.length; start += ITEMS_PER_FILE) {
    const slice = items.slice(start, start + ITEMS_PER_FILE);
    const dataKey = join(base, 'data', `${randomBytes(13).toString('base64url').toLowerCase()}.json.gz`);
    const { md5 } = await writeGzipLines(join(root, dataKey), slice.map((item) => JSON.stringify({ Item: item })));
    manifestFiles.push(JSON.stringify({ itemCount: slice.length, md5Checksum: md5, etag: md5, dataFileS3Key: dataKey }));
    files.push(join(root, dataKey));
    if (items.length === 0) break;
  }
  writeFileSync(join(root, base, 'manifest-files.json'), `${manifestFiles.join('\n')}\n`);
  writeFileSync(join(root, base, 'manifest-summary.json'), JSON.stringify(manifestSummary(tableName, description, exportId, base, { started, ended: clock.now() }, items.length)));
  return { table: tableName, itemCount: items.length, files };
};

const manifestSummary = (tableName: string, description: TableDescription | undefined, exportId: string, base: string, times: { started: number; ended: number }, itemCount: number) => {
  const tableArn = description?.TableArn ?? `arn:aws:dynamodb:local:000000000000:table/${tableName}`;
  return {
    version: '2020-06-30',
    exportArn: `${tableArn}/export/${exportId}`,
    startTime: new Date(times.started).toISOString(),
    endTime: new Date(times.ended).toISOString(),
    tableArn,
    tableId: description?.TableId ?? tableName,
    exportTime: new Date(times.started).toISOString(),
    s3Bucket: 'local',
    s3Prefix: tableName,
    s3SseAlgorithm: 'AES256',
    s3SseKmsKeyId: null,
    manifestFilesS3Key: join(base, 'manifest-files.json'),
    billedSizeBytes: 0,
    itemCount,
    outputFormat: 'DYNAMODB_JSON',
  };
};

/** Scans a table page by page (1 MB pages) and exports it; `onProgress` gets the items done so far, `clock` dates the export. */
export const exportTable = async (
  client: DynamoDBClient,
  tableName: string,
  outDir: string,
  format: ExportFormat,
  onProgress: (done: number, estimated: number) => void = () => undefined,
  clock: Clock = systemClock,
): Promise<ExportResult> => {
  const scanned = await scanTable(client, tableName, clock, onProgress);
  return format === 'jsonl' ? writeJsonl(tableName, outDir, scanned) : writeDynamoExport(tableName, outDir, scanned, clock);
};
