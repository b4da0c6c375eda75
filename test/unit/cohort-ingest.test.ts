import { queuePublisher } from '../../functions/adapters/queue-publisher';
import { collapseIdentifierChanges, parseIsoTime } from '../../functions/domain/cohort-import-validation';
import { planMembershipMessages, type IngestDeps } from '../../functions/domain/cohort-ingest';
import type { WorkspaceStore } from '../../functions/domain/ports';
import { cohortImportRoutes } from '../../functions/handlers/http/cohort-import';
import { hashSecret } from '../../functions/shared/crypto';
import { MAX_MESSAGE_BYTES } from '../../functions/shared/definitions/queues';
import { sqsMessageFits } from '../../functions/shared/enqueue';
import { issueImportId, verifyImportId } from '../../functions/domain/import-ids';
import { BRAZE_ERRORS, membershipMessageSchema, type MembershipMessage } from '../../functions/schemas/cohort-import';
import type { WorkspaceRecord } from '../../functions/schemas/workspace';
import { fakeLimiter, fakeSender } from './fakes/cohort-import';
import { DATA_IMPORT_KEY, PARTNER_KEY, workspaceRecord } from './fakes/workspace-record';
import { fakeSigningKeys, fakeWorkspaceStore } from './fakes/workspaces';
import { httpRequest, refusalOf, respond } from './support/http-routes';

const NOW = Date.parse('2026-03-01T12:00:00Z');

const setup = (overrides: Partial<WorkspaceRecord> = {}, options: { failingQueue?: boolean; limit?: number } = {}) => {
  const record = workspaceRecord(overrides);
  const store = fakeWorkspaceStore(record);
  const sender = fakeSender(options.failingQueue);
  const limiter = fakeLimiter(options.limit);
  const deps: { ingest: IngestDeps; store: WorkspaceStore } = { ingest: { publisher: queuePublisher(sender, 'queue'), limiter, signingKeys: fakeSigningKeys }, store };
  return { record, store, sender, limiter, deps };
};

type Deps = ReturnType<typeof setup>['deps'];

const usersBody = (fields: Record<string, unknown> = {}) => ({
  client_secret: DATA_IMPORT_KEY,
  partner_api_key: PARTNER_KEY,
  cohort_id: 'segment-High Value',
  cohort_changes: [{ user_ids: ['u1'], device_ids: [], aliases: [] }],
  ...fields,
});

const cohortBody = (fields: Record<string, unknown> = {}) => ({
  client_secret: DATA_IMPORT_KEY,
  partner_api_key: PARTNER_KEY,
  cohort_id: 'segment-High Value',
  name: 'High Value',
  created_at: '2021-01-21T19:20:30+05:00',
  ...fields,
});

/** A request to an import route, through its auth middleware and route function (http/cohort-import.ts). */
const post = (key: 'POST /partners/{partner}/cohorts' | 'POST /partners/{partner}/cohorts/users') => async (deps: Deps, body: unknown, partner = 'segment') => {
  const request = httpRequest({ pathParameters: { partner }, rawBody: typeof body === 'string' ? body : JSON.stringify(body), receivedAt: NOW });
  const response = await respond(cohortImportRoutes(() => deps.ingest, () => deps.store), key, request);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted field by field
  return { ...response, body: response.body as any, headers: response.headers ?? {} };
};
const postUsers = post('POST /partners/{partner}/cohorts/users');
const postCohort = post('POST /partners/{partner}/cohorts');

/** The refusal answered, as the client sees it. */
const refusal = refusalOf;

const queued = (sent: string[]): MembershipMessage[] => sent.map((body) => membershipMessageSchema.parse(JSON.parse(body)));

describe('Braze /cohorts/users validation errors', () => {
  it.each([
    ['missing', undefined],
    ['a number', 42],
    ['an empty string', ''],
    ['longer than 512 characters', 'x'.repeat(513)],
    ['512 CJK characters (1,536 bytes: over its 1,022-byte key budget)', '漢'.repeat(512)],
    ['one byte over its key budget', `${'漢'.repeat(340)}abc`],
  ])('answers 400 "`cohort_id` must be a valid string" when cohort_id is %s', async (_what, cohortId) => {
    const { deps, sender } = setup();

    const answer = await refusal(postUsers(deps, usersBody({ cohort_id: cohortId })));

    expect(answer).toMatchObject({ status: 400, message: BRAZE_ERRORS.cohortId, errors: [BRAZE_ERRORS.cohortId] });
    expect(sender.sent).toEqual([]);
  });

  it.each([
    ['missing', undefined],
    ['an object', { user_ids: ['u1'] }],
    ['an array of strings', ['u1']],
    ['user_ids as a string', [{ user_ids: 'u1' }]],
    ['device_ids holding a number', [{ device_ids: [1] }]],
    ['an alias without alias_label', [{ aliases: [{ alias_name: 'a' }] }]],
    ['aliases as a string', [{ aliases: 'email:a@b.c' }]],
    ['should_remove as a string', [{ user_ids: ['u1'], should_remove: 'true' }]],
    ['a user_id over its key budget (1,020 bytes, # counting 3)', [{ user_ids: ['u1'] }, { user_ids: ['#'.repeat(341)] }]],
    ['a device_id over its key budget', [{ device_ids: ['d1', '漢'.repeat(341)] }]],
    ['an alias over its key budget (label and name share 1,017 bytes)', [{ aliases: { alias_label: 'email', alias_name: '漢'.repeat(338) } }]],
  ])('answers 400 with the cohort_changes text when cohort_changes is %s', async (_what, changes) => {
    const { deps, sender } = setup();

    const answer = await refusal(postUsers(deps, usersBody({ cohort_changes: changes })));

    expect(answer).toMatchObject({ status: 400, message: BRAZE_ERRORS.cohortChanges, errors: [BRAZE_ERRORS.cohortChanges] });
    expect(sender.sent).toEqual([]);
  });

  it('answers 400 "Only 1,000 ..." for 1,001 identifiers spread over several change objects, and queues nothing', async () => {
    const { deps, sender } = setup();
    const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    const changes = [
      { user_ids: ids('u', 500), device_ids: ids('d', 300), aliases: [] },
      { user_ids: [], device_ids: [], aliases: ids('a', 201).map((name) => ({ alias_label: 'email', alias_name: name })), should_remove: true },
    ];

    const answer = await refusal(postUsers(deps, usersBody({ cohort_changes: changes })));

    expect(answer).toMatchObject({ status: 400, message: BRAZE_ERRORS.tooManyIdentifiers });
    expect(answer.headers['X-RateLimit-Limit']).toBe('1000');
    expect(sender.sent).toEqual([]);
  });

  it('accepts exactly 1,000 identifiers', async () => {
    const { deps, sender } = setup();
    const changes = [{ user_ids: Array.from({ length: 1000 }, (_, i) => `u${i}`), device_ids: [], aliases: [] }];

    const result = await postUsers(deps, usersBody({ cohort_changes: changes }));

    expect(result.status).toBe(201);
    expect(queued(sender.sent).flatMap((message) => message.changes)).toHaveLength(1000);
  });

  it('accepts a cohort_id and identifiers exactly at their key byte budgets', async () => {
    const { deps, sender } = setup();
    const cohortId = `${'漢'.repeat(340)}ab`;
    const changes = [{ user_ids: ['#'.repeat(340)], device_ids: ['漢'.repeat(340)], aliases: [{ alias_label: 'crm', alias_name: '漢'.repeat(338) }] }];

    const result = await postUsers(deps, usersBody({ cohort_id: cohortId, cohort_changes: changes }));

    expect(Buffer.byteLength(cohortId)).toBe(1022);
    expect(result.status).toBe(201);
    expect(queued(sender.sent).flatMap((message) => message.changes)).toHaveLength(3);
  });

  it('answers 400 when the body is not JSON', async () => {
    const { deps } = setup();

    const answer = await refusal(postUsers(deps, '{"cohort_id": '));

    expect(answer).toMatchObject({ status: 400, message: 'Request body must be valid JSON' });
  });
});

describe('Braze /cohorts validation errors', () => {
  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['blank', '   '],
    ['a number', 7],
  ])('answers 400 "`name` must be a non-empty string" when name is %s', async (_what, name) => {
    const { deps, sender } = setup();

    const answer = await refusal(postCohort(deps, cohortBody({ name })));

    expect(answer).toMatchObject({ status: 400, message: BRAZE_ERRORS.name, errors: [BRAZE_ERRORS.name] });
    expect(sender.sent).toEqual([]);
  });

  it.each([
    ['missing', undefined],
    ['not a date', 'yesterday'],
    ['an impossible date', '2021-02-30T10:00:00Z'],
    ['epoch seconds', 1611238830],
  ])('answers 400 "`created_at` must be a valid time as an ISO-8601 string" when created_at is %s', async (_what, createdAt) => {
    const { deps } = setup();

    const answer = await refusal(postCohort(deps, cohortBody({ created_at: createdAt })));

    expect(answer).toMatchObject({ status: 400, message: BRAZE_ERRORS.createdAt });
  });

  it('answers 400 "`cohort_id` must be a valid string" on /cohorts too', async () => {
    const { deps } = setup();

    const answer = await refusal(postCohort(deps, cohortBody({ cohort_id: ['x'] })));

    expect(answer).toMatchObject({ status: 400, message: BRAZE_ERRORS.cohortId });
  });

  it('answers 400 "`cohort_id` must be a valid string" to a cohort_id over its key byte budget, and queues nothing', async () => {
    const { deps, sender } = setup();

    const answer = await refusal(postCohort(deps, cohortBody({ cohort_id: '漢'.repeat(512) })));

    expect(answer).toMatchObject({ status: 400, message: BRAZE_ERRORS.cohortId, errors: [BRAZE_ERRORS.cohortId] });
    expect(sender.sent).toEqual([]);
  });

  it('queues a valid upsert with created_at normalised to UTC and answers 201 with an import id', async () => {
    const { deps, sender } = setup();

    const result = await postCohort(deps, cohortBody());

    expect(result.status).toBe(201);
    expect(result.body.message).toBe('success');
    const message = JSON.parse(sender.sent[0]!);
    expect(message).toMatchObject({ type: 'cohort', cohortId: 'segment-High Value', name: 'High Value', createdAt: '2021-01-21T14:20:30.000Z' });
    expect(message.importId).toBe(result.body.import_id);
  });

  it('reads ISO-8601 variants Braze senders use', () => {
    expect(parseIsoTime('2021-01-21T19:20:30.123Z')).toBe('2021-01-21T19:20:30.123Z');
    expect(parseIsoTime('2021-01-21T19:20:30+0500')).toBe('2021-01-21T14:20:30.000Z');
    expect(parseIsoTime('2021-01-21T19:20:30')).toBe('2021-01-21T19:20:30.000Z');
    expect(parseIsoTime('2021-01-21')).toBe('2021-01-21T00:00:00.000Z');
  });
});

describe('Braze import credentials', () => {
  it('answers 401 "Invalid client secret" for an unknown data import key, even on the empty probe', async () => {
    const { deps } = setup();

    const answer = await refusal(postUsers(deps, usersBody({ client_secret: 'hub_dik_wrong', cohort_changes: [] })));

    expect(answer).toMatchObject({ status: 401, message: BRAZE_ERRORS.invalidClientSecret, errors: [BRAZE_ERRORS.invalidClientSecret] });
  });

  it('answers 401 "Invalid client secret" when client_secret is missing', async () => {
    const { deps } = setup();

    const answer = await refusal(postCohort(deps, cohortBody({ client_secret: undefined })));

    expect(answer).toMatchObject({ status: 401, message: BRAZE_ERRORS.invalidClientSecret });
  });

  it('answers 401 "Partner not enabled for client with client secret" for a partner outside the allow-list', async () => {
    const { deps } = setup({ allowedPartners: ['heap'] });

    const answer = await refusal(postUsers(deps, usersBody(), 'segment'));

    expect(answer).toMatchObject({ status: 401, message: BRAZE_ERRORS.partnerNotEnabled });
  });

  it('accepts any partner key under policy "any", and a missing one is "Invalid Partner API key"', async () => {
    const { deps } = setup({ partnerKeyPolicy: 'any' });

    const accepted = await postUsers(deps, usersBody({ partner_api_key: 'whatever-key' }));
    const missing = await refusal(postUsers(deps, usersBody({ partner_api_key: undefined })));

    expect(accepted.status).toBe(201);
    expect(missing).toMatchObject({ status: 401, message: BRAZE_ERRORS.invalidPartnerKey });
  });

  it('answers 401 "Invalid Partner API key" when the key differs from the configured one', async () => {
    const { deps } = setup({ partnerKeyPolicy: 'configured', partnerKeyHashes: { segment: hashSecret(PARTNER_KEY) } });

    const good = await postUsers(deps, usersBody());
    const bad = await refusal(postUsers(deps, usersBody({ partner_api_key: 'other-key' })));

    expect(good.status).toBe(201);
    expect(bad).toMatchObject({ status: 401, message: BRAZE_ERRORS.invalidPartnerKey });
  });

  it('refuses every key under policy "configured" when none is configured for that partner', async () => {
    const { deps } = setup({ partnerKeyPolicy: 'configured', partnerKeyHashes: { heap: hashSecret(PARTNER_KEY) } });

    const answer = await refusal(postUsers(deps, usersBody()));

    expect(answer).toMatchObject({ status: 401, message: BRAZE_ERRORS.invalidPartnerKey });
  });

  it('pins the first partner key under policy "pin" and refuses a different one afterwards', async () => {
    const { deps, store } = setup({ partnerKeyPolicy: 'pin' });

    const first = await postUsers(deps, usersBody());
    const again = await postUsers(deps, usersBody());
    const other = await refusal(postUsers(deps, usersBody({ partner_api_key: 'other-key' })));

    expect([first.status, again.status]).toEqual([201, 201]);
    expect(other).toMatchObject({ status: 401, message: BRAZE_ERRORS.invalidPartnerKey });
    expect(store.pins).toEqual(['segment']);
  });

  it('answers the empty-delta probe 201 and queues nothing', async () => {
    const { deps, sender } = setup();

    const result = await postUsers(deps, usersBody({ cohort_id: 'will_add_in_constant', cohort_changes: [] }));

    expect(result).toMatchObject({ status: 201, body: { message: 'success' } });
    expect(sender.sent).toEqual([]);
  });
});

describe('accepting membership deltas', () => {
  it('accepts aliases as a single object, ignores unknown fields and reads a missing should_remove as add', async () => {
    const { deps, sender } = setup();
    const changes = [{ aliases: { alias_label: 'email', alias_name: 'a@b.c', extra: 1 }, weird: true }, { user_ids: null, device_ids: ['d1'] }];

    await postUsers(deps, usersBody({ cohort_changes: changes, unknown_top_level: 'x' }));

    const [message] = queued(sender.sent);
    expect(message!.changes).toEqual([
      { identifier: { kind: 'alias', label: 'email', name: 'a@b.c' }, op: 'add' },
      { identifier: { kind: 'device_id', value: 'd1' }, op: 'add' },
    ]);
    expect(message!.stats.received).toEqual({ user_ids: 0, device_ids: 1, aliases: 1 });
  });

  it('keeps only the removal when one identifier is both added and removed, and reports the conflict', async () => {
    const { deps, sender } = setup();
    const changes = [
      { user_ids: ['u1', 'u2', 'u2'], device_ids: [], aliases: [] },
      { user_ids: ['u1'], device_ids: [], aliases: [], should_remove: true },
    ];

    await postUsers(deps, usersBody({ cohort_changes: changes }));

    const [message] = queued(sender.sent);
    expect(message!.changes).toEqual([
      { identifier: { kind: 'external_id', value: 'u1' }, op: 'remove' },
      { identifier: { kind: 'external_id', value: 'u2' }, op: 'add' },
    ]);
    expect(message!.stats).toMatchObject({ duplicate: 2, conflicts: 1, conflictSamples: ['u1'] });
  });

  it('answers 503 with Retry-After when the queue refuses the messages', async () => {
    const { deps } = setup({}, { failingQueue: true });

    const answer = await refusal(postUsers(deps, usersBody()));

    expect(answer.status).toBe(503);
    expect(answer.headers['Retry-After']).toBeDefined();
    expect(answer.message).toContain('nothing was accepted');
  });

  it('says part of the request was queued when a later SendMessageBatch fails after earlier parts were sent', async () => {
    const { deps, sender } = setup();
    const sent: string[] = [];
    let calls = 0;
    sender.sendBatch = (_url, bodies) => {
      calls += 1;
      if (calls > 1) return Promise.reject(new Error('SQS down'));
      sent.push(...bodies);
      return Promise.resolve({ failed: [] });
    };
    const ids = Array.from({ length: 1000 }, (_, i) => `${i}-${'x'.repeat(500)}`);

    const error = await refusal(postUsers(deps, usersBody({ cohort_changes: [{ user_ids: ids }] })));

    expect(error?.status).toBe(503);
    expect(error?.headers['Retry-After']).toBeDefined();
    expect(error?.message).toContain('part of this request was queued');
    expect(error?.message).toContain('retry');
    expect(error?.message).not.toContain('nothing was accepted');
    expect(sent.length).toBeGreaterThan(0);
    expect(error?.logDetail).toMatchObject({ queuedMessages: sent.length, cause: { name: 'Error', message: 'SQS down' } });
    expect(error?.logDetail.messages).toBeGreaterThan(sent.length);
  });

  it('answers 429 with X-RateLimit headers once the workspace exceeds its limit, and sends them on success too', async () => {
    const { deps } = setup({}, { limit: 1 });

    const first = await postUsers(deps, usersBody());
    const second = await refusal(postUsers(deps, usersBody()));

    expect(first.headers).toMatchObject({ 'X-RateLimit-Limit': '1', 'X-RateLimit-Remaining': '0' });
    expect(second.status).toBe(429);
    expect(second.headers).toMatchObject({ 'X-RateLimit-Limit': '1', 'X-RateLimit-Remaining': '0' });
    expect(Number(second.headers['Retry-After'])).toBeGreaterThan(0);
  });

  it('splits a large request into parts that each fit an SQS message and together hold every change once', () => {
    const changes = Array.from({ length: 1000 }, (_, i) => ({
      identifier: { kind: 'external_id' as const, value: `${i}-${'x'.repeat(500)}` },
      op: 'add' as const,
    }));
    const collapsed = collapseIdentifierChanges(changes);

    const bodies = planMembershipMessages(
      { workspaceId: 'ws1', partner: 'segment', cohortId: 'c', importId: 'imp_1', receivedAt: NOW },
      collapsed,
      { user_ids: 1000, device_ids: 0, aliases: 0 },
      sqsMessageFits,
    ) ?? [];

    expect(bodies.length).toBeGreaterThan(1);
    for (const body of bodies) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    const messages = bodies.map((body) => membershipMessageSchema.parse(JSON.parse(body)));
    expect(messages.map((m) => [m.part, m.parts, m.dedupeKey])).toEqual(messages.map((_, i) => [i, bodies.length, `imp_1#${i}`]));
    expect(messages.flatMap((m) => m.changes)).toEqual(collapsed.changes);
  });
});

describe('import ids', () => {
  const scope = { secret: 'import-id:ws1' };

  it('verifies an issued id only for its workspace (its secret) and cohort', () => {
    const id = issueImportId(scope, 'cohort-a', NOW);

    expect(verifyImportId(scope, 'cohort-a', id)).toBe(true);
    expect(verifyImportId(scope, 'cohort-b', id)).toBe(false);
    expect(verifyImportId({ secret: 'import-id:ws2' }, 'cohort-a', id)).toBe(false);
    expect(verifyImportId(scope, 'cohort-a', `${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}`)).toBe(false);
  });
});
