import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { bumpIdentityVersions, chunkUnits, createProfilesWithIdentifiers } from '../../functions/adapters/profile-batches';

const TABLES = { users: 'users', aliases: 'aliases' };
const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });

/** A client whose `send` answers from a script, recording each command's name and action count. */
const scripted = (answers: (Error | undefined)[]) => {
  const sent: { command: string; actions: number }[] = [];
  const db = {
    send: async (command: { constructor: { name: string }; input: { TransactItems?: unknown[] } }) => {
      sent.push({ command: command.constructor.name, actions: command.input.TransactItems?.length ?? 1 });
      const answer = answers.shift();
      if (answer) throw answer;
      return Promise.resolve({});
    },
  } as unknown as DynamoDBDocumentClient;
  return { db, sent };
};

describe('batched directory writes', () => {
  it('packs whole units into transactions of at most 100 actions', () => {
    const units = Array.from({ length: 40 }, (_, i) => ({ id: `u${i}`, actions: Array.from({ length: 3 }, () => ({})) }));
    expect(chunkUnits(units).map((chunk) => chunk.length)).toEqual([33, 7]);
  });

  it('sends again what a conflict cancelled, and settles what a condition refused', async () => {
    const identities = new Map([
      ['a', { deviceIds: ['d-a'], identityVersion: 0 }],
      ['b', { deviceIds: ['d-b'], identityVersion: 0 }],
    ]);
    // 1st: a conflict on a's claim (nothing refused); 2nd: b's claim is held; 3rd: a alone commits.
    const { db, sent } = scripted([cancelled('None', 'TransactionConflict', 'None', 'None'), cancelled('None', 'None', 'None', 'ConditionalCheckFailed')]);

    const outcomes = await createProfilesWithIdentifiers(db, TABLES, 'ws', identities, 'now');

    expect(outcomes).toEqual(new Map([['b', 'conflict'], ['a', 'created']]));
    expect(sent.map((call) => call.actions)).toEqual([4, 4, 2]);
  });

  it('leaves undecided what keeps conflicting, for the caller to create alone', async () => {
    const identities = new Map([['a', { deviceIds: [], identityVersion: 0 }]]);
    const { db } = scripted(Array.from({ length: 4 }, () => cancelled('TransactionConflict')));

    expect((await createProfilesWithIdentifiers(db, TABLES, 'ws', identities, 'now')).size).toBe(0);
  });

  it('drops the confirmations a condition refused and writes alone those that kept conflicting', async () => {
    const conflicts = Array.from({ length: 3 }, () => cancelled('None', 'TransactionConflict'));
    const { db, sent } = scripted([cancelled('ConditionalCheckFailed', 'None', 'None'), ...conflicts]);

    await bumpIdentityVersions(db, 'users', 'ws', new Map([['gone', 5], ['x', 5], ['y', 5]]));

    expect(sent.map((call) => `${call.command}:${call.actions}`)).toEqual([
      'TransactWriteCommand:3',
      'TransactWriteCommand:2',
      'TransactWriteCommand:2',
      'TransactWriteCommand:2',
      'UpdateCommand:1',
      'UpdateCommand:1',
    ]);
  });
});
