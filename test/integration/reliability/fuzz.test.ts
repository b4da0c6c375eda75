/**
 * Fuzzing bad input: for every public route (from the route table), fast-check requests — non-JSON,
 * wrong types, huge strings and arrays, deep nesting, unicode and control characters, numbers
 * where ids go, prototype-pollution keys, 1,001 ids, oversize bodies, bad Heap-Hash headers, bad
 * path parameters and query strings — with valid, invalid, missing and other workspaces'
 * credentials. The real handler modules run in process on API Gateway events, against DynamoDB
 * Local and the SQS emulator.
 *
 * Asserted per input: no status ≥ 500; an error answer is `{message, errors?}` JSON; a refused
 * request sent nothing to SQS and wrote nothing to DynamoDB (except the per-workspace rate-limit
 * counter, which counts authenticated requests by design). At the end: the queues hold exactly the
 * messages of accepted requests, and no table holds anything of the fuzz workspaces; then everything
 * queued runs through the real workers (failed records redelivered until SQS moves them to the DLQ)
 * and every DLQ must be empty: an accepted request never becomes a poison message.
 *
 * Strings include ones aimed at DynamoDB's key limits, which are in bytes (schemas/key-bytes.ts):
 * long CJK, `#`/`%`-heavy (escaped to 3 bytes each), and multi-byte strings at and around every
 * key byte budget — within the character limits, so that some of them are accepted.
 *
 * `HUB_FUZZ_RUNS` inputs per route (npm run test:fuzz: 10,000; npm test: 150).
 */
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { signHeapBody } from '../../../functions/domain/heap-signature';
import { KEY_BYTES, identifierValueBytes, utf8Bytes } from '../../../functions/schemas/key-bytes';
import type { WorkspaceCredentials } from '../../../functions/schemas/workspace';
import { CREDENTIALS, HASHED_CREDENTIAL_KINDS } from '../../../functions/shared/definitions/credentials';
import { QUEUES, type QueueKey } from '../../../functions/shared/definitions/queues';
import type { TableKey } from '../../../functions/shared/definitions/tables';
import { startTestHub, type TestHub } from '../harness';
import { dlqDepths, drainThroughWorkers } from '../worker-drain';
import {
  ROUTE_SPECS,
  errorConventionProblems,
  publicRoutes,
  routeInvoker,
  unlistedRoutes,
  type Fixtures,
  type RouteKey,
  type RouteRequest,
} from './routes';

const RUNS = Number(process.env.HUB_FUZZ_RUNS ?? 150);
/** Generous: a few ms per input on a shared 2-core machine, plus the oversize bodies. */
const FUZZ_TIMEOUT_MS = 120_000 + RUNS * 60;
const SEED = process.env.HUB_FUZZ_SEED === undefined ? undefined : Number(process.env.HUB_FUZZ_SEED);

// ---------- arbitraries ----------

const CONTROL = ['\u0000', '\u0001', '\u0007', '\b', '\t', '\n', '\r\n', '\u001b[31m', '\u007f', '\u0085', '\u2028', '\u2029', '\u200b', '\u202e', '\ufeff', '\ufffd', '\uffff', '\ud800', '\udc00', '😀', '👨‍👩‍👧', 'é', 'ß', '🏳️‍🌈'];
const TRICKY = ['', ' ', '.', '..', '../..', '/', '%', '%00', '%2F', '\\', '"', "'", '<script>', '${x}', '{{x}}', 'null', 'undefined', 'NaN', '-1', '0', '1e309', 'true', '[]', '{}', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '*', '#', 'ws#x', 'a#b#c', 'CLAIM', 'PROFILE'];
const HUGE_STRING = 'x'.repeat(70_000);
const HUGE_UNICODE = '😀'.repeat(20_000);

/** Every key byte budget, and the escaped-value budgets of identifiers (external_id/device_id, alias). */
const BYTE_TARGETS = [...new Set([...Object.values(KEY_BYTES), identifierValueBytes('external_id'), identifierValueBytes('alias')])];
/** Characters of 2, 3 and 4 bytes, and the two that key escaping turns into 3 bytes (`#` → `%23`, `%` → `%25`). */
const WIDE = ['é', '漢', '😀', '#', '%'];

/** `bytes` bytes (counted as in a key: `#` and `%` escaped) of one wide character, ASCII making up the rest. */
const wideOf = (char: string, bytes: number): string => {
  const width = char === '#' || char === '%' ? 3 : utf8Bytes(char);
  return `${char.repeat(Math.floor(bytes / width))}${'a'.repeat(bytes % width)}`;
};

/** Strings aimed at DynamoDB's key limits: at and around each byte budget, long CJK, `#`-heavy. */
const keyBreaker: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...WIDE), fc.constantFrom(...BYTE_TARGETS), fc.integer({ min: -2, max: 2 })).map(([char, target, delta]) => wideOf(char, target + delta)) },
  { weight: 2, arbitrary: fc.integer({ min: 300, max: 512 }).map((n) => '漢'.repeat(n)) },
  // Character limits count code points (zod): 257–512 emoji pass a 512 limit at up to 2,048 bytes.
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 512 }).map((n) => '😀'.repeat(n)) },
  { weight: 2, arbitrary: fc.array(fc.constantFrom('#', '%', '#%', 'a#', '漢#', '😀', '%23'), { minLength: 50, maxLength: 400 }).map((parts) => parts.join('').slice(0, 512)) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), fc.integer({ min: 20, max: 200 })).map(([part, n]) => part.repeat(n).slice(0, 512)) },
);

const weirdString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: keyBreaker },
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 3, arbitrary: fc.constantFrom(...TRICKY, ...CONTROL) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...CONTROL), { minLength: 1, maxLength: 20 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.integer({ min: 513, max: 5000 }).map((n) => 'a'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom(HUGE_STRING, HUGE_UNICODE) },
);

const weirdNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-0, Number.MAX_SAFE_INTEGER + 2, 1e308, -1, 0));

/** Any JSON-ish value, biased to the awkward. */
const weirdValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    weirdString,
    weirdNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(weirdString, fc.constantFrom('__proto__', 'constructor', 'prototype')), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** An id-like value: mostly strings, sometimes numbers, nulls, lists or objects where a string goes. */
const idValue = (valid: string): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(valid) }, { weight: 4, arbitrary: weirdString }, { weight: 2, arbitrary: weirdNumber }, { weight: 1, arbitrary: weirdValue });

const deepNesting = fc.integer({ min: 50, max: 20_000 }).chain((depth) =>
  fc.constantFrom(`${'['.repeat(depth)}${']'.repeat(depth)}`, `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
);

const PROTO_KEYS = '"__proto__":{"polluted":"yes","should_remove":true,"isAdmin":true},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"}';

/** Adds prototype-pollution keys to every JSON object in a text (a cheap, textual injection). */
const withProtoKeys = (json: string): string => json.replace(/\{(\s*)(\}?)/g, (_, space: string, close: string) => (close ? `{${PROTO_KEYS}}` : `{${space}${PROTO_KEYS},`));

const nonJson = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('{', '}', '[', '{"a":', '{"a":1,}', "{'a':1}", 'NaN', 'undefined', '\u0000', '\ufeff{}', '{"a":1}{"b":2}', '<xml/>', 'a=1&b=2', '--boundary\r\nContent-Disposition: form-data'),
);

const jsonScalarOrArray = fc.oneof(fc.jsonValue().map((value) => JSON.stringify(value)), fc.constantFrom('null', 'true', '1', '"text"', '[]', '[{}]', '""'));

/** Serialises an object body, sometimes with prototype-pollution keys injected everywhere. */
const serialise = (body: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<string> =>
  fc.tuple(body, fc.boolean()).map(([value, proto]) => {
    const text = JSON.stringify(value);
    return proto ? withProtoKeys(text) : text;
  });

type Mode = 'valid' | 'invalid' | 'none' | 'other';
const modes = fc.constantFrom<Mode>('valid', 'valid', 'invalid', 'none', 'other');

interface Context {
  ws: WorkspaceCredentials;
  other: WorkspaceCredentials;
  fixtures: Fixtures;
  /** Bodies larger than each route's limit (built once). */
  oversize: { cohort: string; heap: string; json: string };
}

const thousandOneIds = (n = 1001) => Array.from({ length: n }, (_, index) => `u-${index}`);

const cohortCredentials = (ctx: Context, mode: Mode): Record<string, unknown> =>
  mode === 'valid'
    ? { partner_api_key: ctx.ws.partnerApiKey, client_secret: ctx.ws.dataImportKey }
    : mode === 'other'
      ? { partner_api_key: ctx.other.partnerApiKey, client_secret: ctx.other.apiKey }
      : mode === 'invalid'
        ? { partner_api_key: 'hub_pk_wrong', client_secret: 'hub_dik_wrong' }
        : {};

const changeObject = fc.record(
  {
    user_ids: fc.oneof(fc.array(idValue('user-1'), { maxLength: 8 }), weirdValue),
    device_ids: fc.oneof(fc.array(idValue('device-1'), { maxLength: 8 }), weirdValue),
    aliases: fc.oneof(
      fc.array(fc.record({ alias_name: idValue('n'), alias_label: idValue('l') }, { requiredKeys: [] }), { maxLength: 4 }),
      fc.record({ alias_name: idValue('n'), alias_label: idValue('l') }, { requiredKeys: [] }),
      weirdValue,
    ),
    should_remove: fc.oneof(fc.boolean(), weirdValue),
  },
  { requiredKeys: [] },
);

/** An id that is mostly a string aimed at a key limit: well-formed otherwise, so often accepted. */
const keyedId = (plain: string): fc.Arbitrary<string> => fc.oneof({ weight: 3, arbitrary: keyBreaker }, { weight: 1, arbitrary: fc.constant(plain) });

/** Well-formed cohort bodies whose ids and identifiers are aimed at the key byte limits. */
const keyedCohortFields = (ctx: Context, users: boolean): fc.Arbitrary<Record<string, unknown>> =>
  users
    ? fc.record({
        cohort_id: keyedId(ctx.fixtures.cohortId),
        cohort_changes: fc.array(
          fc.record(
            {
              user_ids: fc.array(keyedId(ctx.fixtures.externalId), { maxLength: 4 }),
              device_ids: fc.array(keyedId('device-1'), { maxLength: 3 }),
              aliases: fc.array(fc.record({ alias_label: keyedId('crm_id'), alias_name: keyedId('n-1') }), { maxLength: 3 }),
              should_remove: fc.boolean(),
            },
            { requiredKeys: [] },
          ),
          { minLength: 1, maxLength: 3 },
        ),
      })
    : fc.record({ cohort_id: keyedId(ctx.fixtures.cohortId), name: keyedId('A cohort'), created_at: fc.constant('2026-01-01T00:00:00Z') });

const cohortBodyArb = (ctx: Context, mode: Mode, users: boolean): fc.Arbitrary<string> => {
  const creds = cohortCredentials(ctx, mode);
  const fields = users
    ? fc.record({ cohort_id: idValue(ctx.fixtures.cohortId), cohort_changes: fc.oneof(fc.array(changeObject, { maxLength: 4 }), weirdValue) }, { requiredKeys: [] })
    : fc.record({ cohort_id: idValue(ctx.fixtures.cohortId), name: idValue('A cohort'), created_at: fc.oneof(fc.constantFrom('2026-01-01T00:00:00Z', '2026-02-30', '2026-01-01T25:00:00Z', '99999-01-01'), weirdValue) }, { requiredKeys: [] });
  return fc.oneof(
    { weight: 6, arbitrary: serialise(fields.map((value) => ({ ...creds, ...value }))) },
    { weight: 3, arbitrary: keyedCohortFields(ctx, users).map((value) => JSON.stringify({ ...creds, ...value })) },
    { weight: 1, arbitrary: serialise(fc.record({ client_secret: weirdValue, partner_api_key: weirdValue }, { requiredKeys: [] }).chain((c) => fields.map((value) => ({ ...c, ...value })))) },
    { weight: 1, arbitrary: nonJson },
    { weight: 1, arbitrary: jsonScalarOrArray },
    { weight: 1, arbitrary: deepNesting },
    { weight: 1, arbitrary: fc.constant(JSON.stringify({ ...creds, cohort_id: 'c-1001', cohort_changes: [{ user_ids: thousandOneIds() }] })) },
    { weight: 1, arbitrary: fc.constant(JSON.stringify({ ...creds, cohort_id: 'c-1001', cohort_changes: [{ user_ids: thousandOneIds(600) }, { device_ids: thousandOneIds(401) }] })) },
    { weight: 1, arbitrary: fc.constant(JSON.stringify({ ...creds, cohort_id: 'c-huge', cohort_changes: [{ user_ids: Array.from({ length: 5000 }, () => 'x') }] })) },
    { weight: 1, arbitrary: fc.constant(JSON.stringify({ ...creds, cohort_id: 'c-proto', cohort_changes: [JSON.parse('{"user_ids":["p-1"],"__proto__":{"should_remove":true}}')] })) },
    { weight: 1, arbitrary: fc.constant(ctx.oversize.cohort) },
  );
};

const heapUser = fc.oneof({ weight: 3, arbitrary: fc.record({ id: idValue('visitor-1') }, { requiredKeys: [] }) }, { weight: 1, arbitrary: weirdValue });

const heapBodyArb = (ctx: Context): fc.Arbitrary<string> => {
  const envelope = fc.record(
    {
      action_type: fc.oneof(fc.constantFrom('segment.users.sync', 'segment.users.sync', 'segment.users.drain'), weirdValue),
      id_token: fc.oneof(fc.constant('fuzz-token'), weirdValue),
      customer_config: weirdValue,
      data: fc.oneof(
        { weight: 4, arbitrary: fc.record(
          {
            segment: fc.oneof(fc.record({ id: idValue(ctx.fixtures.segmentId), name: idValue('Seg') }, { requiredKeys: [] }), weirdValue),
            sync_info: fc.oneof(
              fc.record({ page_number: fc.oneof(fc.nat(10), weirdValue), total_pages: fc.oneof(fc.nat(10), weirdValue), sync_task_id: idValue('task-1') }, { requiredKeys: [] }),
              weirdValue,
            ),
            add: fc.oneof(fc.array(heapUser, { maxLength: 8 }), weirdValue),
            remove: fc.oneof(fc.array(heapUser, { maxLength: 8 }), weirdValue),
          },
          { requiredKeys: [] },
        ) },
        { weight: 1, arbitrary: weirdValue },
      ),
    },
    { requiredKeys: [] },
  );
  return fc.oneof(
    { weight: 6, arbitrary: serialise(envelope) },
    { weight: 1, arbitrary: nonJson },
    { weight: 1, arbitrary: jsonScalarOrArray },
    { weight: 1, arbitrary: deepNesting },
    { weight: 1, arbitrary: fc.constant(heapPage(ctx.fixtures.segmentId, Array.from({ length: 10_001 }, (_, index) => `v-${index}`))) },
    { weight: 1, arbitrary: fc.constant(ctx.oversize.heap) },
  );
};

const heapPage = (segmentId: string, add: unknown[]) =>
  JSON.stringify({ action_type: 'segment.users.sync', data: { segment: { id: Number(segmentId) }, sync_info: { page_number: 1, total_pages: 1, sync_task_id: 't' }, add: add.map((id) => ({ id })) } });

/** Heap-Hash header for a body: valid, or broken in one of many ways. */
const heapHashArb = (ctx: Context, mode: Mode, body: string): fc.Arbitrary<string | undefined> => {
  const now = Date.now();
  if (mode === 'valid') return fc.constantFrom(signHeapBody(ctx.ws.heapWebhookSecret, body, now), signHeapBody(ctx.ws.heapWebhookSecret, body, Math.floor(now / 1000), 'hex'));
  if (mode === 'none') return fc.constant(undefined);
  if (mode === 'other') return fc.constant(signHeapBody(ctx.other.heapWebhookSecret, body, now));
  return fc.oneof(
    weirdString,
    fc.constantFrom(
      signHeapBody(ctx.ws.heapWebhookSecret, body, now - 3_600_000),
      signHeapBody(ctx.ws.heapWebhookSecret, body, now + 3_600_000),
      signHeapBody(ctx.ws.heapWebhookSecret, `${body} `, now),
      signHeapBody(ctx.ws.heapWebhookSecret, body, now).replace('ts:', 'ts: ts:'),
      `${signHeapBody(ctx.ws.heapWebhookSecret, body, now)},ts:${now}`,
      `ts:${now},hmac:${'0'.repeat(64)}`,
      `ts:${now},hmac:${'A'.repeat(43)}=`,
      `ts:${now}`,
      `hmac:${'0'.repeat(64)}`,
      `ts:-1,hmac:${'0'.repeat(64)}`,
      `ts:99999999999999999999,hmac:${'0'.repeat(64)}`,
      `ts:${now},hmac:${'z'.repeat(600)}`,
    ),
  );
};

const bearerArb = (ctx: Context, mode: Mode, credential: keyof WorkspaceCredentials): fc.Arbitrary<Record<string, string>> => {
  if (mode === 'valid') return fc.constant({ authorization: `Bearer ${ctx.ws[credential]}` });
  if (mode === 'none') return fc.constant({});
  if (mode === 'other') {
    return fc.constantFrom(
      ...HASHED_CREDENTIAL_KINDS.filter((kind) => kind !== credential).map((kind) => ({ authorization: `Bearer ${ctx.ws[kind]}` })),
      ...HASHED_CREDENTIAL_KINDS.filter((kind) => kind !== credential && CREDENTIALS[kind].presentation === 'bearer').map((kind) => ({ authorization: `Bearer ${ctx.other[kind]}` })),
    );
  }
  return fc.oneof(
    weirdString.map((value) => ({ authorization: value })),
    weirdString.map((value) => ({ authorization: `Bearer ${value}` })),
    fc.constantFrom(
      { authorization: `Basic ${Buffer.from(`x:${String(ctx.ws[credential])}`).toString('base64')}` },
      { authorization: `Bearer ${String(ctx.ws[credential])}x` },
      { authorization: `Bearer ${String(ctx.ws[credential]).slice(0, -1)}` },
      { authorization: `Bearer ${String(ctx.ws[credential]).toUpperCase()}` },
      { authorization: `Bearer ${String(ctx.ws[credential])} ${String(ctx.ws[credential])}` },
      { authorization: `Bearer ${'a'.repeat(100_000)}` },
    ),
  );
};

/** A short non-empty id, sometimes with unicode or control characters. */
const plausibleId = fc.oneof(fc.stringMatching(/^[a-z0-9_-]{1,24}$/), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), fc.constantFrom('user-1', 'n-1', '\u0000x', '😀', 'a'.repeat(513)));

const aliasArb = fc.record({ alias_name: idValue('n-1'), alias_label: idValue('crm_id') }, { requiredKeys: [] });

/** Well-formed Currents events whose keyed fields (id, type, user ids, orphan survivor) are aimed at the key byte limits. */
const keyedEvents = (ctx: Context): fc.Arbitrary<Record<string, unknown>> =>
  fc.record({
    events: fc.array(
      fc.record(
        {
          id: keyedId('e-1'),
          event_type: fc.oneof(keyedId('users.behaviors.CustomEvent'), fc.constantFrom('users.UserOrphan', 'users.UserDeleteRequest', 'users.behaviors.CustomEvent')),
          time: fc.integer({ min: 1_700_000_000, max: 1_800_000_000 }),
          user: fc.record({ user_id: keyedId(ctx.fixtures.brazeId), external_user_id: keyedId(ctx.fixtures.externalId), device_id: keyedId('d-1') }, { requiredKeys: [] }),
          properties: fc.record({ orphaned_by_id: keyedId('5f1e2d3c4b5a69788796a5b5') }, { requiredKeys: [] }),
        },
        { requiredKeys: ['id', 'event_type', 'time'] },
      ),
      { minLength: 1, maxLength: 6 },
    ),
  });

/** Well-formed alias management bodies aimed at the claim key byte limit. */
const keyedAliases = (identify: boolean): fc.Arbitrary<Record<string, unknown>> => {
  const alias = fc.record({ alias_name: keyedId('n-1'), alias_label: keyedId('crm_id') });
  return identify
    ? fc.record({ aliases_to_identify: fc.array(fc.record({ external_id: keyedId('user-1'), user_alias: alias }), { minLength: 1, maxLength: 5 }) })
    : fc.record({ user_aliases: fc.array(fc.record({ external_id: keyedId('user-1'), alias_name: keyedId('n-1'), alias_label: keyedId('crm_id') }, { requiredKeys: ['alias_name', 'alias_label'] }), { minLength: 1, maxLength: 5 }) });
};

/** Segment events: mostly shaped like Engage audience events, each field sometimes weird or aimed at a key limit. */
const segmentEventArb = (ctx: Context): fc.Arbitrary<Record<string, unknown>> => {
  const personas = fc.record(
    {
      computation_class: fc.oneof({ weight: 4, arbitrary: fc.constant('audience') }, { weight: 1, arbitrary: weirdValue }),
      computation_id: fc.oneof(keyedId(ctx.fixtures.cohortId), idValue(ctx.fixtures.cohortId)),
      computation_key: fc.oneof({ weight: 3, arbitrary: fc.constant('fuzz_audience') }, { weight: 1, arbitrary: keyedId('fuzz_audience') }, { weight: 1, arbitrary: weirdValue }),
    },
    { requiredKeys: [] },
  );
  const member = fc.oneof(fc.boolean(), fc.constantFrom('true', 'false'), weirdValue);
  return fc.record(
    {
      type: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('identify', 'track') }, { weight: 1, arbitrary: weirdValue }),
      event: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('Audience Entered', 'Audience Exited') }, { weight: 1, arbitrary: weirdValue }),
      userId: fc.oneof(keyedId(ctx.fixtures.externalId), idValue(ctx.fixtures.externalId), fc.constant(null)),
      messageId: fc.oneof({ weight: 3, arbitrary: fc.uuid() }, { weight: 1, arbitrary: idValue('m-1') }),
      timestamp: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('2025-06-01T10:00:00Z', '2099-01-01T00:00:00Z', '1970-01-01', '2025-02-30T00:00:00Z') }, { weight: 1, arbitrary: weirdValue }),
      traits: fc.oneof(fc.record({ fuzz_audience: member }, { requiredKeys: [] }), weirdValue),
      properties: fc.oneof(fc.record({ audience_key: fc.constant('fuzz_audience'), fuzz_audience: member }, { requiredKeys: [] }), weirdValue),
      user_alias: fc.oneof(fc.record({ alias_name: keyedId('n-1'), alias_label: keyedId('email') }), weirdValue),
      context: fc.oneof(
        { weight: 4, arbitrary: fc.record({ personas: fc.oneof({ weight: 4, arbitrary: personas }, { weight: 1, arbitrary: weirdValue }), device: fc.oneof(fc.record({ id: keyedId('device-1') }), weirdValue) }, { requiredKeys: [] }) },
        { weight: 1, arbitrary: weirdValue },
      ),
    },
    { requiredKeys: ['type'] },
  );
};

/** Well-formed Engage audience events whose ids are aimed at the key byte limits: often accepted, so the worker sees them. */
const keyedSegmentEvent = (ctx: Context): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .record({
      track: fc.boolean(),
      member: fc.boolean(),
      userId: fc.oneof({ weight: 2, arbitrary: fc.constant(ctx.fixtures.externalId) }, { weight: 2, arbitrary: keyedId(ctx.fixtures.externalId) }, { weight: 1, arbitrary: fc.constant(null) }),
      deviceId: keyedId('device-1'),
      messageId: fc.uuid(),
      second: fc.integer({ min: 0, max: 86_400 }),
      cohortId: fc.oneof(fc.constant(ctx.fixtures.cohortId), keyedId(ctx.fixtures.cohortId)),
      key: fc.oneof({ weight: 3, arbitrary: fc.constant('fuzz_audience') }, { weight: 1, arbitrary: keyedId('fuzz_audience') }),
    })
    .map(({ track, member, userId, deviceId, messageId, second, cohortId, key }) => ({
      type: track ? 'track' : 'identify',
      ...(track ? { event: member ? 'Audience Entered' : 'Audience Exited', properties: { audience_key: key, [key]: member } } : { traits: { [key]: member } }),
      userId,
      messageId,
      timestamp: new Date(Date.UTC(2025, 5, 1) + second * 1000).toISOString(),
      context: { device: { id: deviceId }, personas: { computation_class: 'audience', computation_id: cohortId, computation_key: key } },
    }));

/** Segment Webhooks (Actions) bodies: one event, a batch (JSON array), or not a batch at all. */
const segmentBodyArb = (ctx: Context): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: serialise(segmentEventArb(ctx)) },
    { weight: 3, arbitrary: fc.tuple(fc.array(segmentEventArb(ctx), { maxLength: 8 }), fc.boolean()).map(([events, proto]) => (proto ? withProtoKeys(JSON.stringify(events)) : JSON.stringify(events))) },
    { weight: 3, arbitrary: fc.array(keyedSegmentEvent(ctx), { minLength: 1, maxLength: 6 }).map((events) => JSON.stringify(events.length === 1 ? events[0] : events)) },
    { weight: 1, arbitrary: nonJson },
    { weight: 1, arbitrary: jsonScalarOrArray },
    { weight: 1, arbitrary: deepNesting },
    { weight: 1, arbitrary: fc.constant(JSON.stringify(Array.from({ length: 4001 }, (_, index) => ({ type: 'identify', userId: `u-${index}` })))) },
    { weight: 1, arbitrary: fc.constant(ctx.oversize.json) },
  );

/** Bodies for the Bearer-authenticated POST routes (Currents, Segment, alias management). */
const bearerBodyArb = (ctx: Context, key: RouteKey): fc.Arbitrary<string> => {
  if (key === 'POST /segment/audiences/{workspaceId}') return segmentBodyArb(ctx);
  const shaped: fc.Arbitrary<Record<string, unknown>> =
    key === 'POST /currents'
      ? fc.record({
          events: fc.oneof(
            fc.array(
              fc.record(
                {
                  id: idValue('e-1'),
                  event_type: fc.oneof(fc.constantFrom('users.behaviors.CustomEvent', 'users.messages.email.Send', 'users.behaviors.subscription.GlobalStateChange'), weirdValue),
                  time: fc.oneof(fc.constant(1_763_900_000), weirdNumber, weirdValue),
                  user: fc.oneof(fc.record({ user_id: idValue(ctx.fixtures.brazeId), external_user_id: idValue('user-1'), device_id: idValue('d-1') }, { requiredKeys: [] }), weirdValue),
                  properties: weirdValue,
                },
                { requiredKeys: [] },
              ),
              { maxLength: 6 },
            ),
            weirdValue,
          ),
        }, { requiredKeys: [] })
      : key === 'POST /users/alias/new'
        ? fc.oneof(
            fc.record({ user_aliases: fc.oneof(fc.array(fc.record({ external_id: idValue('user-1'), alias_name: idValue('n-1'), alias_label: idValue('crm_id') }, { requiredKeys: [] }), { maxLength: 60 }), weirdValue) }, { requiredKeys: [] }),
            // Mostly well-formed, so that accepted requests (which write synchronously) are fuzzed too.
            fc.record({ user_aliases: fc.array(fc.record({ external_id: fc.option(plausibleId, { nil: undefined }), alias_name: plausibleId, alias_label: fc.constantFrom('crm_id', 'email', '__proto__', 'constructor') }, { requiredKeys: ['alias_name', 'alias_label'] }), { minLength: 1, maxLength: 5 }) }),
          )
        : fc.oneof(
            fc.record({ aliases_to_identify: fc.oneof(fc.array(fc.record({ external_id: idValue('user-1'), user_alias: fc.oneof(aliasArb, weirdValue) }, { requiredKeys: [] }), { maxLength: 60 }), weirdValue) }, { requiredKeys: [] }),
            fc.record({ aliases_to_identify: fc.array(fc.record({ external_id: plausibleId, user_alias: fc.record({ alias_name: plausibleId, alias_label: fc.constantFrom('crm_id', 'email', '__proto__') }) }), { minLength: 1, maxLength: 5 }) }),
          );
  const keyed = key === 'POST /currents' ? keyedEvents(ctx) : keyedAliases(key === 'POST /users/identify');
  return fc.oneof(
    { weight: 6, arbitrary: serialise(shaped) },
    { weight: 3, arbitrary: keyed.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: nonJson },
    { weight: 1, arbitrary: jsonScalarOrArray },
    { weight: 1, arbitrary: deepNesting },
    { weight: 1, arbitrary: fc.constant(JSON.stringify({ events: Array.from({ length: 1001 }, (_, index) => ({ id: `e-${index}`, event_type: 'x', time: 1 })), user_aliases: Array.from({ length: 1001 }, (_, index) => ({ alias_name: `n-${index}`, alias_label: 'l' })), aliases_to_identify: Array.from({ length: 1001 }, (_, index) => ({ external_id: `u-${index}`, user_alias: { alias_name: `n-${index}`, alias_label: 'l' } })) })) },
    { weight: 1, arbitrary: fc.constant(ctx.oversize.json) },
  );
};

const QUERY_KEYS = ['limit', 'cursor', 'value', 'external_id', 'device_id', 'alias_label', 'alias_name', 'braze_id', 'visitor_id', 'workspace', 'type', 'from', 'to', 'page'];
const queryArb = fc.dictionary(
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) }, { weight: 1, arbitrary: weirdString }),
  fc.oneof(weirdString, weirdNumber.map(String), fc.constantFrom('0', '-1', '1.5', '1000000', 'abc.def', 'eyJwayI6IngifQ.AAAAAAAAAAAAAAAAAAAAAA', `${'a'.repeat(5000)}.b`)),
  { maxKeys: 4 },
);

const pathParamArb = (valid: string) => fc.oneof({ weight: 4, arbitrary: fc.constant(valid) }, { weight: 3, arbitrary: weirdString }, { weight: 1, arbitrary: weirdNumber.map(String) });

const validParam = (ctx: Context, name: string): string =>
  ({ partner: ctx.ws.partnerName, cohortId: ctx.fixtures.cohortId, importId: ctx.fixtures.importId, segmentId: ctx.fixtures.segmentId, visitorId: ctx.fixtures.visitorId, workspaceId: ctx.ws.workspaceId, brazeId: ctx.fixtures.brazeId })[name] ?? 'x';

/** A fuzzed request for a route. */
const requestArb = (ctx: Context, key: RouteKey): fc.Arbitrary<RouteRequest> => {
  const spec = ROUTE_SPECS[key];
  if (!spec) throw new Error(`no route spec for ${key}`);
  const [method, path] = key.split(' ') as [string, string];
  const params = [...path.matchAll(/\{([a-zA-Z0-9_]+)\}/g)].map((match) => match[1] as string);
  const pathParameters = fc.record(Object.fromEntries(params.map((name) => [name, pathParamArb(validParam(ctx, name))]))) as fc.Arbitrary<Record<string, string>>;
  const extraHeaders = fc.dictionary(fc.constantFrom('content-type', 'if-none-match', 'x-forwarded-for', 'accept', 'content-encoding'), weirdString, { maxKeys: 2 });

  const validQuery = spec.valid(ctx.ws, ctx.fixtures).query;
  const query = fc.oneof(queryArb, queryArb.map((fuzzed) => ({ ...validQuery, ...fuzzed })), fc.constant(validQuery));
  return fc.tuple(modes, pathParameters, query, extraHeaders).chain(([mode, pathParams, query, extra]) => {
    const auth = spec.auth;
    const anyBody = method === 'GET' ? fc.option(fc.oneof(nonJson, jsonScalarOrArray), { nil: undefined }) : bearerBodyArb(ctx, key);
    if (auth.kind === 'cohortBody') {
      return cohortBodyArb(ctx, mode, key.endsWith('/users')).map((body) => ({ pathParameters: pathParams, query, headers: { ...extra, 'content-type': 'application/json' }, body }));
    }
    if (auth.kind === 'heapHash') {
      return heapBodyArb(ctx).chain((body) =>
        heapHashArb(ctx, mode, body).map((hash) => ({ pathParameters: pathParams, query, headers: { ...extra, ...(hash === undefined ? {} : { 'heap-hash': hash }) }, body })),
      );
    }
    if (auth.kind === 'bearer') {
      return fc.tuple(bearerArb(ctx, mode, auth.credential), anyBody).map(([headers, body]) => ({ pathParameters: pathParams, query, headers: { ...extra, ...headers }, ...(body === undefined ? {} : { body }) }));
    }
    return anyBody.map((body) => ({ pathParameters: pathParams, query, headers: extra, ...(body === undefined ? {} : { body }) }));
  });
};

// ---------- observation of side effects ----------

interface SideEffects {
  sqsSent: number;
  /** Message entries sent, per queue URL. */
  sqsMessages: Record<string, number>;
  dynamoWrites: { command: string; tables: string[] }[];
}

const WRITE_COMMANDS = /^(Put|Update|Delete|BatchWrite|TransactWrite)/;

const tablesOf = (input: Record<string, unknown>): string[] => {
  if (typeof input.TableName === 'string') return [input.TableName];
  if (input.RequestItems && typeof input.RequestItems === 'object') return Object.keys(input.RequestItems);
  if (Array.isArray(input.TransactItems)) {
    return (input.TransactItems as Record<string, { TableName?: string }>[]).flatMap((item) => Object.values(item).map((op) => op.TableName ?? '?'));
  }
  return ['?'];
};

describe('fuzzing every public route with bad input', () => {
  let hub: TestHub;
  let invoke: Awaited<ReturnType<typeof routeInvoker>>;
  let ctx: Context;
  const effects: SideEffects = { sqsSent: 0, sqsMessages: {}, dynamoWrites: [] };
  const accepted: Record<QueueKey, number> = { cohortImport: 0, currents: 0, heapSync: 0, abTastyDelivery: 0, brazeExport: 0, changeWebhook: 0 };
  /** Tables that accepted requests wrote to synchronously (alias management does). */
  const writtenByAccepted = new Set<string>();
  const summary: Record<string, { inputs: number; statuses: Record<number, number> }> = {};

  beforeAll(async () => {
    hub = await startTestHub({ pollers: false, visibilitySeconds: 30 });
    const ws = await hub.createWorkspace({ partnerName: 'fuzz' });
    const other = await hub.createWorkspace({ partnerName: 'other' });
    ctx = {
      ws,
      other,
      fixtures: { cohortId: 'cohort-1', importId: 'imp_00000000000000000000000000000000000000000', segmentId: '4242', visitorId: 'visitor-1', externalId: 'user-1', brazeId: '5f1e2d3c4b5a69788796a5b4' },
      oversize: {
        json: JSON.stringify({ events: Array.from({ length: 6100 }, () => 'q'.repeat(1000)) }),
        cohort: JSON.stringify({ ...cohortCredentials({ ws } as Context, 'valid'), cohort_id: 'c', cohort_changes: [{ user_ids: Array.from({ length: 1000 }, () => 'y'.repeat(2100)) }] }),
        heap: heapPage('4242', Array.from({ length: 6200 }, () => 'z'.repeat(1000))),
      },
    };
    invoke = await routeInvoker();
    // Count what every invocation sends to SQS and writes to DynamoDB (the handlers' own clients).
    const sqsPrototype = SQSClient.prototype as unknown as { send: (...args: unknown[]) => unknown };
    const sqsSend = sqsPrototype.send;
    jest.spyOn(sqsPrototype, 'send').mockImplementation(function (this: unknown, command: unknown, ...rest: unknown[]) {
      const name = (command as { constructor: { name: string } }).constructor.name;
      if (name === 'SendMessageBatchCommand' || name === 'SendMessageCommand') {
        effects.sqsSent += 1;
        const input = (command as { input: { QueueUrl?: string; Entries?: unknown[] } }).input;
        const url = input.QueueUrl ?? '?';
        effects.sqsMessages[url] = (effects.sqsMessages[url] ?? 0) + (input.Entries?.length ?? 1);
      }
      return sqsSend.call(this, command, ...rest);
    });
    // Document-client commands do not pass through DynamoDBClient.send: watch both clients.
    for (const client of [DynamoDBClient.prototype, DynamoDBDocumentClient.prototype] as { send: (...args: unknown[]) => unknown }[]) {
      const send = client.send;
      jest.spyOn(client, 'send').mockImplementation(function (this: unknown, command: unknown, ...rest: unknown[]) {
        const name = (command as { constructor: { name: string } }).constructor.name;
        if (WRITE_COMMANDS.test(name)) effects.dynamoWrites.push({ command: name, tables: tablesOf((command as { input: Record<string, unknown> }).input) });
        return send.call(this, command, ...rest);
      });
    }
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await hub.stop();
  });

  it('has a fuzz entry for every public route in the route table', () => {
    expect(unlistedRoutes()).toEqual([]);
  });

  const queueDepth = async (key: QueueKey) => {
    const { Attributes } = await hub.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: hub.queues[key].url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  };

  for (const route of publicRoutes()) {
    it(`${route.key}: no 5xx, errors in the route's convention, nothing queued or stored when refused`, async () => {
      const statuses: Record<number, number> = {};
      let inputs = 0;
      const rateLimitTable = hub.tables.idempotency;
      await fc.assert(
        fc.asyncProperty(requestArb(ctx, route.key), async (request) => {
          inputs += 1;
          const before = { sqs: effects.sqsSent, writes: effects.dynamoWrites.length };

          const result = await invoke(route.key, request);

          statuses[result.statusCode] = (statuses[result.statusCode] ?? 0) + 1;
          if (result.statusCode >= 500) {
            const { body, ...rest } = request;
            console.log(`fuzz: ${route.key} answered ${result.statusCode} ${result.body} to body ${String(body).slice(0, 1500)} with ${JSON.stringify(rest).slice(0, 1500)}`);
          }
          expect(result.statusCode).toBeLessThan(500);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
          expect(({} as Record<string, unknown>).should_remove).toBeUndefined();
          const writes = effects.dynamoWrites.slice(before.writes);
          if (result.statusCode >= 400) {
            expect(errorConventionProblems(result)).toEqual([]);
            expect(effects.sqsSent - before.sqs).toBe(0);
            // The only write a refused request may cause is the rate-limit counter of an authenticated caller.
            expect(writes.filter((write) => !write.tables.every((table) => table === rateLimitTable))).toEqual([]);
          } else {
            for (const write of writes) for (const table of write.tables) writtenByAccepted.add(table);
            const queue = route.definition.sendsTo[0];
            if (queue && effects.sqsSent > before.sqs) accepted[queue] += 1;
          }
        }),
        { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true },
      );
      summary[route.key] = { inputs, statuses };
      console.log(`fuzz: ${route.key}: ${inputs} inputs, statuses ${JSON.stringify(statuses)}, responses >= 500: 0`);
      expect(inputs).toBe(RUNS);
    }, FUZZ_TIMEOUT_MS);
  }

  it('left nothing of the fuzz workspaces in the tables and only accepted requests in the queues', async () => {
    const prefixes = [ctx.ws.workspaceId, ctx.other.workspaceId];
    for (const table of ['users', 'aliases', 'cohorts', 'events'] as TableKey[]) {
      if (writtenByAccepted.has(hub.tables[table])) continue;
      const items = (await hub.doc.send(new ScanCommand({ TableName: hub.tables[table] }))).Items ?? [];
      expect({ table, items: items.filter((item) => prefixes.some((prefix) => JSON.stringify(item).includes(prefix))).length }).toEqual({ table, items: 0 });
    }
    // The queues hold exactly the messages accepted requests sent (refused ones sent none, checked
    // per input above); no poller runs, so nothing was consumed.
    for (const queue of ['cohortImport', 'heapSync', 'currents'] as QueueKey[]) {
      expect({ queue, depth: await queueDepth(queue) }).toEqual({ queue, depth: effects.sqsMessages[hub.queues[queue].url] ?? 0 });
    }
    const total = Object.values(summary).reduce((sum, route) => sum + route.inputs, 0);
    console.log(`fuzz: ${Object.keys(summary).length} routes, ${total} inputs (${RUNS} per route), responses >= 500: 0, accepted and queued: ${JSON.stringify(accepted)}, tables written by accepted requests: ${[...writtenByAccepted].join(', ') || 'none'}`);
  });

  it('processing everything accepted through the real workers leaves every DLQ empty (no accepted request is a poison message)', async () => {
    const queued = Object.fromEntries((['cohortImport', 'heapSync', 'currents'] as QueueKey[]).map((queue) => [queue, effects.sqsMessages[hub.queues[queue].url] ?? 0]));

    const drained = await drainThroughWorkers(hub, FUZZ_TIMEOUT_MS);
    const dead = await dlqDepths(hub);

    console.log(`fuzz: worker pass: queued ${JSON.stringify(queued)}, records handed to workers / failed ${JSON.stringify(drained)}, DLQ depths ${JSON.stringify(dead)}`);
    for (const queue of (Object.keys(dead) as QueueKey[]).filter((key) => dead[key] > 0)) {
      const { Messages } = await hub.sqs.send(new ReceiveMessageCommand({ QueueUrl: hub.queues[queue].dlqUrl, MaxNumberOfMessages: 10 }));
      for (const message of Messages ?? []) console.log(`fuzz: poison message in the ${queue} DLQ: ${(message.Body ?? '').slice(0, 3000)}`);
    }
    // Every queue the stack defines has a DLQ, and every one is empty.
    expect(dead).toEqual(Object.fromEntries(Object.keys(QUEUES).map((queue) => [queue, 0])));
  }, FUZZ_TIMEOUT_MS);
});
