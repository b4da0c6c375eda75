/**
 * The DynamoDB toolkit (functions/adapters/dynamo/): batch reads and writes chunk at DynamoDB's
 * limits and retry what comes back unprocessed; key builders and their inverses agree; conditions
 * and update expressions read and build what DynamoDB expects.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { batchGetAll } from '../../functions/adapters/dynamo/batch-get';
import { batchWriteAll, putRequests } from '../../functions/adapters/dynamo/batch-write';
import { anyConditionFailedFrom, conditionFailedAt, isConditionFailure, whenCondition } from '../../functions/adapters/dynamo/conditions';
import {
  eventFromSk,
  eventSk,
  identifierFromKey,
  memberIdFromSk,
  memberSk,
  setFromPk,
  setPk,
  MEMBER_SHARDS,
  memberPartitionPk,
  memberShardOf,
} from '../../functions/adapters/dynamo/keys';
import { assignments, expressionParts } from '../../functions/adapters/dynamo/update-expression';
import { identifierKey, type Identifier } from '../../functions/domain/identifiers';

type Input = { RequestItems: Record<string, { Keys?: Record<string, unknown>[]; ConsistentRead?: boolean } | Record<string, unknown>[]> };

/** A client whose `send` answers from `answer`, recording every request. */
const fakeClient = (answer: (input: Input, call: number) => unknown) => {
  const calls: Input[] = [];
  const db = { send: (command: { input: Input }) => Promise.resolve(answer(command.input, calls.push(command.input))) };
  return { db: db as unknown as DynamoDBDocumentClient, calls };
};

const keysOf = (n: number) => Array.from({ length: n }, (_, index) => ({ pk: `p${index}`, sk: 'S' }));

describe('batchGetAll', () => {
  it('reads 100 keys a call and retries UnprocessedKeys until none remain', async () => {
    const counter = { batchGet: 0 };
    const { db, calls } = fakeClient((input, call) => {
      const request = input.RequestItems.t as { Keys: Record<string, unknown>[] };
      // The first call leaves its last two keys unprocessed.
      if (call === 1) return { Responses: { t: request.Keys.slice(0, -2) }, UnprocessedKeys: { t: { ...request, Keys: request.Keys.slice(-2) } } };
      return { Responses: { t: request.Keys } };
    });
    const items = await batchGetAll(db, 't', keysOf(250), { consistency: 'strong', counter });

    expect(items).toHaveLength(250);
    expect(calls.map((call) => (call.RequestItems.t as { Keys: unknown[] }).Keys.length)).toEqual([100, 2, 100, 50]);
    expect(calls.every((call) => (call.RequestItems.t as { ConsistentRead?: boolean }).ConsistentRead === true)).toBe(true);
    expect(counter.batchGet).toBe(4);
  });

  it('leaves ConsistentRead out of eventual reads and gives up after ten rounds of unprocessed keys', async () => {
    const random = jest.spyOn(Math, 'random').mockReturnValue(0); // no back-off wait
    const { db, calls } = fakeClient((input) => ({ UnprocessedKeys: input.RequestItems }));
    await expect(batchGetAll(db, 't', keysOf(1), { consistency: 'eventual' })).rejects.toThrow('BatchGetItem left 1 keys unprocessed');
    expect(calls).toHaveLength(10);
    expect((calls[0]?.RequestItems.t as { ConsistentRead?: boolean }).ConsistentRead).toBeUndefined();
    random.mockRestore();
  });
});

describe('batchWriteAll', () => {
  it('writes 25 requests a call and retries UnprocessedItems', async () => {
    const counter = { batchWrite: 0, unprocessedRetries: 0 };
    const { db, calls } = fakeClient((input, call) => (call === 1 ? { UnprocessedItems: { t: (input.RequestItems.t as unknown[]).slice(0, 3) } } : {}));
    await batchWriteAll(db, 't', putRequests(keysOf(30)), counter);
    expect(calls.map((call) => (call.RequestItems.t as unknown[]).length)).toEqual([25, 3, 5]);
    expect(counter).toEqual({ batchWrite: 3, unprocessedRetries: 1 });
  });
});

describe('keys and their inverses', () => {
  const text = fc.string({ unit: 'binary', maxLength: 20 });
  const identifier: fc.Arbitrary<Identifier> = fc.oneof(
    text.map((value) => ({ kind: 'external_id' as const, value })),
    text.map((value) => ({ kind: 'device_id' as const, value })),
    fc.tuple(text, text).map(([label, name]) => ({ kind: 'alias' as const, label, name })),
  );

  it('identifierFromKey inverts identifierKey for any value', () => {
    fc.assert(fc.property(identifier, (id) => expect(identifierFromKey(identifierKey(id))).toEqual(id)));
    expect(identifierFromKey('ext#a#b')).toBeUndefined();
    expect(identifierFromKey('other#a')).toBeUndefined();
  });

  it('setFromPk, memberIdFromSk and eventFromSk invert their builders', () => {
    fc.assert(
      fc.property(fc.constantFrom('cohort' as const, 'segment' as const), text, (kind, setId) => {
        const set = { workspaceId: 'ws0123456789abcdef', kind, setId };
        expect(setFromPk(setPk(set))).toEqual(set);
        expect(memberIdFromSk(memberSk(setId))).toBe(setId);
        expect(eventFromSk(eventSk(1_700_000_000_123, setId))).toEqual({ timeMs: 1_700_000_000_123, eventId: setId });
      }),
    );
    expect(setPk({ workspaceId: 'ws1', kind: 'segment', setId: 'a#b' })).toBe('ws1#S#a#b');
    // A member partition's key never equals a set's own, whatever the set id holds.
    fc.assert(
      fc.property(text, text, fc.integer({ min: 0, max: MEMBER_SHARDS.segment - 1 }), (a, b, shard) => {
        expect(memberPartitionPk({ workspaceId: 'ws1', kind: 'cohort', setId: a }, shard)).not.toBe(setPk({ workspaceId: 'ws1', kind: 'cohort', setId: b }));
        expect(memberShardOf('segment', a)).toBe(memberShardOf('segment', a));
        expect(memberShardOf('segment', a)).toBeLessThan(MEMBER_SHARDS.segment);
        expect(memberShardOf('cohort', a)).toBeLessThan(MEMBER_SHARDS.cohort);
      }),
    );
    expect(memberIdFromSk('META')).toBeUndefined();
  });
});

describe('conditions', () => {
  const cancelled = (...codes: string[]) =>
    new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });
  const conditionFailed = Object.assign(new Error('failed'), { name: 'ConditionalCheckFailedException' });

  it('reads which action of a cancelled transaction failed its condition', () => {
    const error = cancelled('None', 'ConditionalCheckFailed', 'None');
    expect([conditionFailedAt(error, 0), conditionFailedAt(error, 1), anyConditionFailedFrom(error, 1), anyConditionFailedFrom(error, 2)]).toEqual([false, true, true, false]);
    expect(conditionFailedAt(conditionFailed, 0)).toBe(false);
    expect(isConditionFailure(conditionFailed)).toBe(true);
  });

  it('whenCondition: true when applied, false when refused by its condition, other errors thrown', async () => {
    await expect(whenCondition(() => Promise.resolve())).resolves.toBe(true);
    await expect(whenCondition(() => Promise.reject(conditionFailed))).resolves.toBe(false);
    await expect(whenCondition(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});

describe('update expressions', () => {
  it('numbers placeholders per prefix and leaves empty maps out', () => {
    const sets = assignments('s', { name: 'n', count: 2 });
    const adds = assignments('a', { parts: new Set([1]) }, 'add');
    expect(`SET ${sets.clause} ADD ${adds.clause}`).toBe('SET #s0 = :s0, #s1 = :s1 ADD #a0 :a0');
    expect(adds.nameOf('parts')).toBe('#a0');
    expect(expressionParts(sets, adds)).toEqual({
      ExpressionAttributeNames: { '#s0': 'name', '#s1': 'count', '#a0': 'parts' },
      ExpressionAttributeValues: { ':s0': 'n', ':s1': 2, ':a0': new Set([1]) },
    });
    expect(expressionParts(assignments('x', {}))).toEqual({});
  });
});
