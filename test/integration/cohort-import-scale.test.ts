/**
 * One full-size Braze request (1,000 identifiers) end to end on the local stack: exact counts are
 * asserted; the time it took and the DynamoDB requests it made are only logged (measured, never
 * asserted), for docs/cohort-import.md.
 */
import { dynamoClient } from '../../functions/adapters/dynamo-client';
import { directoryStore } from '../../functions/adapters/directory';
import { membershipStore } from '../../functions/adapters/stores';
import type { Identifier } from '../../functions/domain/identifiers';
import { eventually, startTestHub, type TestHub } from './harness';

describe('a 1,000-identifier cohort delta on the local stack', () => {
  let hub: TestHub;
  let dataImportKey = '';
  let apiKey = '';
  const calls = new Map<string, number>();
  /** Start and end of the worker's DynamoDB activity (first claim lookup → last report write). */
  const span = { first: 0, last: 0 };
  const durations = new Map<string, number>();
  let counting = false;

  beforeAll(async () => {
    // A visibility timeout longer than the work (as in AWS: 6× the worker timeout), so the
    // measurement is not disturbed by a redelivery of a message still being processed.
    hub = await startTestHub({ visibilitySeconds: 60 });
    const creds = await hub.createWorkspace({ partnerName: 'segment' });
    dataImportKey = creds.dataImportKey;
    apiKey = creds.apiKey;
    // Count every DynamoDB request the handlers make (the document client shares this stack).
    dynamoClient().middlewareStack.add(
      (next, context) => (args) => {
        if (counting) {
          const input = args.input as { TableName?: string; RequestItems?: Record<string, unknown>; TransactItems?: unknown[] };
          const table = input.TableName ?? Object.keys(input.RequestItems ?? {})[0] ?? (input.TransactItems ? 'transaction' : '?');
          const key = `${context.commandName ?? '?'} ${table.replace(/^t[0-9a-f]{8}-/, '')}`;
          calls.set(key, (calls.get(key) ?? 0) + 1);
          if (key === 'BatchGetItemCommand aliases' && span.first === 0) span.first = performance.now();
        }
        const began = performance.now();
        const keyOf = `${context.commandName ?? '?'}`;
        const result = next(args).then((output) => {
          if (counting) durations.set(keyOf, (durations.get(keyOf) ?? 0) + performance.now() - began);
          return output;
        });
        if (counting && context.commandName === 'UpdateItemCommand' && (args.input as { TableName?: string }).TableName?.endsWith('-cohorts')) {
          return result.then((output) => {
            span.last = performance.now();
            return output;
          });
        }
        return result;
      },
      { step: 'initialize', name: 'countDynamoCalls' },
    );
    // 700 identified profiles (external id), 200 anonymous (device id), 100 alias-only.
    const directory = directoryStore(hub.doc, { users: hub.tables.users, aliases: hub.tables.aliases });
    const now = new Date().toISOString();
    const setup: [string, Identifier][] = Array.from({ length: 1000 }, (_, i): [string, Identifier] => [
      `bz-${String(i).padStart(4, '0')}`,
      i < 700
        ? { kind: 'external_id', value: `user-${i}` }
        : i < 900
          ? { kind: 'device_id', value: `device-${i}` }
          : { kind: 'alias', label: 'email', name: `user-${i}@example.com` },
    ]);
    for (let start = 0; start < setup.length; start += 50) {
      await Promise.all(
        setup.slice(start, start + 50).map(async ([brazeId, identifier]) => {
          await directory.createProfile(creds.workspaceId, brazeId, now);
          await directory.claim(creds.workspaceId, brazeId, identifier, now);
        }),
      );
    }
  }, 120000);
  afterAll(() => hub.stop());

  const body = (shouldRemove?: boolean) => ({
    partner_api_key: 'segment-partner-key-us',
    client_secret: dataImportKey,
    cohort_id: 'scale',
    cohort_changes: [
      {
        user_ids: Array.from({ length: 700 }, (_, i) => `user-${i}`),
        device_ids: Array.from({ length: 200 }, (_, i) => `device-${700 + i}`),
        aliases: Array.from({ length: 100 }, (_, i) => ({ alias_label: 'email', alias_name: `user-${900 + i}@example.com` })),
        ...(shouldRemove === undefined ? {} : { should_remove: shouldRemove }),
      },
    ],
  });

  const run = async (label: string, shouldRemove?: boolean) => {
    calls.clear();
    durations.clear();
    span.first = 0;
    span.last = 0;
    const store = membershipStore();
    const before = { ...store.counter };
    counting = true;
    const started = performance.now();
    const response = await hub.request('POST', '/partners/segment/cohorts/users', { body: body(shouldRemove) });
    const answeredMs = performance.now() - started;
    const report = await eventually(async () => {
      const read = await hub.request('GET', `/v1/cohorts/scale/imports/${response.body.import_id}`, { headers: { Authorization: `Bearer ${apiKey}` } });
      return read.body?.status === 'applied' ? read.body : undefined;
    }, 60000, 'the import applied');
    const endToEndMs = performance.now() - started;
    counting = false;
    const workerMs = Date.parse(report.updated_at) - Date.parse(report.received_at);
    const engine = Object.fromEntries(Object.entries(store.counter).map(([name, value]) => [name, value - before[name as keyof typeof before]]));
    // Measured, not asserted: printed for the report and docs/cohort-import.md.
    console.log(
      `[measure] ${label}: HTTP answer ${answeredMs.toFixed(0)} ms, worker (first claim lookup → report written) ${(span.last - span.first).toFixed(0)} ms, received→report ${workerMs} ms, end to end (100 ms polling) ${endToEndMs.toFixed(0)} ms; ` +
        `membership engine ${JSON.stringify(engine)}; DynamoDB requests ${JSON.stringify(Object.fromEntries([...calls].sort()))}; ms per command ${JSON.stringify(Object.fromEntries([...durations].map(([k, v]) => [k, Math.round(v)])))}`,
    );
    return report;
  };

  it('adds all 1,000 matched profiles with exact counts, then re-adding changes nothing and removing empties the cohort', async () => {
    const added = await run('add 1,000');
    const again = await run('re-add 1,000 (no flips)');
    const removed = await run('remove 1,000', true);

    expect(added).toMatchObject({ matched: 1000, unmatched: 0, added: 1000 });
    expect(again).toMatchObject({ matched: 1000, added: 0, unchanged: 1000 });
    expect(removed).toMatchObject({ matched: 1000, removed: 1000 });
    const listed = await hub.request('GET', '/v1/cohorts', { headers: { Authorization: `Bearer ${apiKey}` } });
    expect(listed.body.cohorts).toEqual([expect.objectContaining({ id: 'scale', member_count: 0 })]);
  });
});
