import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { runFloor } from '../../scripts/bench/floor';
import { floorMember } from '../../scripts/bench/scenarios/common';
import { memberKey } from '../../functions/adapters/dynamo/keys';

/** A document client that answers every call at once and records what it was asked. */
const recordingClient = () => {
  const gets: { table: string; keys: unknown[] }[] = [];
  let written = 0;
  const send = (command: unknown) => {
    if (command instanceof BatchGetCommand) {
      for (const [table, request] of Object.entries(command.input.RequestItems ?? {})) gets.push({ table, keys: request.Keys ?? [] });
      return Promise.resolve({ Responses: {} });
    }
    if (command instanceof BatchWriteCommand) {
      for (const requests of Object.values(command.input.RequestItems ?? {})) written += requests.length;
      return Promise.resolve({});
    }
    return Promise.reject(new Error('unexpected command'));
  };
  return { doc: { send } as unknown as DynamoDBDocumentClient, gets, written: () => written };
};

describe('bench floor', () => {
  it('reads each lookup in blocks of 100 before writing, skipping changes without a key', async () => {
    const client = recordingClient();
    const result = await runFloor(client.doc, 't', 250, 2, (index) => ({ pk: `p${index}` }), [
      { table: 'claims', key: (index) => ({ pk: `c${index}` }) },
      { table: 'profiles', key: (index) => (index % 10 === 9 ? undefined : { pk: `u${index}` }) },
    ]);

    expect(client.written()).toBe(250);
    expect(client.gets.filter((get) => get.table === 'claims').map((get) => get.keys.length)).toEqual([100, 100, 50]);
    expect(client.gets.filter((get) => get.table === 'profiles').map((get) => get.keys.length)).toEqual([90, 90, 45]);
    expect(client.gets.flatMap((get) => get.keys)).not.toContainEqual({ pk: 'u9' });
    // 3 blocks × 2 lookups + 10 writes of 25.
    expect(result.requests).toBe(16);
  });

  it('writes without reads when there is no lookup', async () => {
    const client = recordingClient();
    const result = await runFloor(client.doc, 't', 60, 3, (index) => ({ pk: `p${index}` }));
    expect(client.gets).toEqual([]);
    expect(result.requests).toBe(3);
  });

  it('stores the floor member as the engine stores a member: its partition, the byMember key and the source with its identifier', () => {
    const identifier = { kind: 'external_id' as const, value: 'user-1' };
    const item = floorMember('cohort', 'b1', { kind: 'segment_audience', importId: 'imp_1', partner: 'segment', audience: 'a', identifier });
    expect(item).toMatchObject({
      ...memberKey({ workspaceId: 'floor', kind: 'cohort', setId: 'bench' }, 'b1'),
      status: 'member',
      memberKind: 'profile',
      gsi1pk: expect.stringContaining('b1'),
      source: { kind: 'segment_audience', importId: 'imp_1', partner: 'segment', audience: 'a', identifier },
    });
  });
});
