import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { exportTable } from '../../functions/adapters/table-export';
import { startTestHub, type TestHub } from './harness';

describe('local analyst export', () => {
  let hub: TestHub;
  const written = Array.from({ length: 260 }, (_, index) => ({
    pk: `wsX#profile-${index}`,
    sk: 'PROFILE',
    brazeId: `profile-${index}`,
    aliases: { email: `user${index}@example.com` },
    deviceIds: [`device-${index}`],
    identityVersion: index,
  }));

  beforeAll(async () => {
    hub = await startTestHub({ pollers: false });
    for (let start = 0; start < written.length; start += 25) {
      await hub.doc.send(
        new BatchWriteCommand({ RequestItems: { [hub.tables.users]: written.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })) } }),
      );
    }
  });
  afterAll(() => hub.stop());

  const sortByPk = (items: Record<string, unknown>[]) => [...items].sort((a, b) => String(a.pk).localeCompare(String(b.pk)));

  it('writes DynamoDB S3 export layout that reads back to every item written', async () => {
    const out = mkdtempSync(join(tmpdir(), 'export-'));

    const result = await exportTable(hub.dynamo, hub.tables.users, out, 'dynamodb');

    const base = join(out, hub.tables.users);
    const dataFile = result.files[0]!;
    const exportDir = join(dataFile, '..', '..');
    const summary = JSON.parse(readFileSync(join(exportDir, 'manifest-summary.json'), 'utf8'));
    const manifest = readFileSync(join(base, summary.manifestFilesS3Key), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const items = manifest.flatMap((entry) =>
      gunzipSync(readFileSync(join(base, entry.dataFileS3Key)))
        .toString('utf8')
        .trim()
        .split('\n')
        .map((line) => unmarshall((JSON.parse(line) as { Item: Record<string, AttributeValue> }).Item)),
    );
    expect(summary).toMatchObject({ version: '2020-06-30', outputFormat: 'DYNAMODB_JSON', itemCount: written.length });
    expect(manifest.reduce((sum, entry) => sum + entry.itemCount, 0)).toBe(written.length);
    expect(sortByPk(items)).toEqual(sortByPk(written));
  });

  it('writes plain JSON lines with the same items', async () => {
    const out = mkdtempSync(join(tmpdir(), 'export-'));

    const result = await exportTable(hub.dynamo, hub.tables.users, out, 'jsonl');

    const items = readFileSync(result.files[0]!, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { pk: string });
    expect(sortByPk(items)).toEqual(sortByPk(written));
  });
});
