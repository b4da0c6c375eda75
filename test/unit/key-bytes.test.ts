/**
 * Key byte budgets (functions/schemas/key-bytes.ts): every budget is exactly what the hub's real key
 * builders allow — a value at its budget builds keys within DynamoDB's limits, one byte more builds
 * a key over them — and the byte counts match the keys as built, escaping included.
 */
import fc from 'fast-check';
import {
  claimKey,
  currentsEventMarkerId as markerId,
  eventSk,
  memberIndexPk,
  memberSk,
  profileKey,
  setIndexSk,
  setPk,
  memberPartitionPk,
  MEMBER_SHARDS,
  typeDayPk,
  userEventsPk,
} from '../../functions/adapters/dynamo/keys';
import { identifierKey, scoped, type Identifier } from '../../functions/domain/identifiers';
import { MAX_EVENT_TIME_SECONDS } from '../../functions/schemas/currents';
import {
  KEY_BYTES,
  PARTITION_KEY_MAX_BYTES,
  SORT_KEY_MAX_BYTES,
  WORKSPACE_ID_MAX_BYTES,
  fitsKey,
  identifierFits,
  identifierKeyBytes,
  identifierValueBytes,
  utf8Bytes,
  type KeyInput,
} from '../../functions/schemas/key-bytes';

/** The longest workspace id the budgets allow for. */
const WS = 'w'.repeat(WORKSPACE_ID_MAX_BYTES);
/** Exactly `bytes` UTF-8 bytes, mostly 3-byte CJK and 4-byte emoji. */
const multiByte = (bytes: number) => {
  const emoji = '😀'.repeat(Math.floor(bytes / 8));
  const rest = bytes - utf8Bytes(emoji);
  return `${emoji}${'漢'.repeat(Math.floor(rest / 3))}${'é'.repeat(rest % 3 === 2 ? 1 : 0)}${'a'.repeat(rest % 3 === 1 ? 1 : 0)}`;
};

/** Every key each input is written into or read by, as the adapters build them: [partition keys, sort keys]. */
const KEYS: Record<KeyInput, (value: string) => [string[], string[]]> = {
  cohortId: (setId) => {
    const set = { workspaceId: WS, kind: 'cohort' as const, setId };
    return [[setPk(set), memberPartitionPk(set, MEMBER_SHARDS.segment - 1)], [setId, setIndexSk(set)]];
  },
  brazeId: (id) => [[profileKey(WS, id).pk, scoped(WS, id), userEventsPk(WS, id), memberIndexPk(WS, 'profile', id)], [memberSk(id), id]],
  identifierKey: (key) => [[claimKey(WS, key).pk], [key]],
  eventId: (id) => [[markerId(WS, id)], [eventSk(MAX_EVENT_TIME_SECONDS * 1000, id)]],
  eventType: (type) => [[typeDayPk(WS, type, '2026-01-01')], []],
  importId: (id) => [[setPk({ workspaceId: WS, kind: 'cohort', setId: 'c' })], [`IMPORT#${id}`]],
  syncTaskId: (id) => [[`heappage#${WS}#${id}#${Number.MAX_SAFE_INTEGER}`], [`SYNC#${id}`]],
};

const overLimit = ([partition, sort]: [string[], string[]]) => [
  ...partition.filter((key) => utf8Bytes(key) > PARTITION_KEY_MAX_BYTES),
  ...sort.filter((key) => utf8Bytes(key) > SORT_KEY_MAX_BYTES),
];

describe('key byte budgets', () => {
  it.each(Object.keys(KEY_BYTES) as KeyInput[])('%s: a value at the budget fits every key it builds, one byte more does not', (input) => {
    const atBudget = multiByte(KEY_BYTES[input]);
    const over = multiByte(KEY_BYTES[input] + 1);

    expect(utf8Bytes(atBudget)).toBe(KEY_BYTES[input]);
    expect(overLimit(KEYS[input](atBudget))).toEqual([]);
    expect(overLimit(KEYS[input](over))).not.toEqual([]);
    expect([fitsKey(input, atBudget), fitsKey(input, over)]).toEqual([true, false]);
  });

  it('names the budgets the docs state', () => {
    expect(KEY_BYTES).toEqual({ cohortId: 1022, brazeId: 1022, identifierKey: 1024, eventId: 1008, eventType: 1970, importId: 1017, syncTaskId: 1019 });
    expect([identifierValueBytes('external_id'), identifierValueBytes('device_id'), identifierValueBytes('alias')]).toEqual([1020, 1020, 1017]);
  });

  it('counts bytes, not characters: 512 CJK characters are 1,536 bytes, a lone surrogate 3', () => {
    expect(utf8Bytes('漢'.repeat(512))).toBe(1536);
    expect(utf8Bytes('\ud800')).toBe(3);
    expect(fitsKey('cohortId', '漢'.repeat(340))).toBe(true);
    expect(fitsKey('cohortId', '漢'.repeat(341))).toBe(false);
  });

  it('counts an identifier exactly as identifierKey builds it, escaping (# and % → 3 bytes) included', () => {
    const part = fc.string({ unit: fc.oneof(fc.constantFrom('#', '%', '%23', '漢', '😀', '\ud800'), fc.string({ unit: 'binary', maxLength: 1 })), maxLength: 40 });
    const identifier: fc.Arbitrary<Identifier> = fc.oneof(
      part.map((value) => ({ kind: 'external_id' as const, value })),
      part.map((value) => ({ kind: 'device_id' as const, value })),
      fc.tuple(part, part).map(([label, name]) => ({ kind: 'alias' as const, label, name })),
    );

    fc.assert(fc.property(identifier, (id) => identifierKeyBytes(id) === utf8Bytes(identifierKey(id))));
  });

  it('holds the claim key to the identifier budget: # counts three bytes', () => {
    const at = { kind: 'external_id' as const, value: '#'.repeat(340) };
    const over = { kind: 'external_id' as const, value: `${'#'.repeat(340)}a` };
    const alias = { kind: 'alias' as const, label: '#'.repeat(169), name: '%'.repeat(170) };

    expect([identifierFits(at), identifierFits(over)]).toEqual([true, false]);
    expect(identifierKeyBytes(alias)).toBe(1024);
    expect([identifierFits(alias), identifierFits({ ...alias, name: `${alias.name}x` })]).toEqual([true, false]);
  });
});
