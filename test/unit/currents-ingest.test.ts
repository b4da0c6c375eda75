/* eslint-disable @typescript-eslint/require-await -- in-memory fakes of async ports */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { queuePublisher } from '../../functions/adapters/queue-publisher';
import { buildMessages as buildOrRefuse, classifyEvents, envelopeProblem, ingestCurrents as ingest, parseCurrentsBody } from '../../functions/domain/currents-ingest';
import { unpackEvent } from '../../functions/domain/currents';
import { MAX_MESSAGE_BYTES } from '../../functions/shared/definitions/queues';
import { currentsMessageSchema } from '../../functions/schemas/currents';
import { sqsMessageFits, type QueueSender } from '../../functions/shared/enqueue';
import { workspaceRecord } from './fakes/workspace-record';

const fixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/currents/all-event-types.json'), 'utf8')) as { events: Record<string, unknown>[] };
const event = (overrides: Record<string, unknown> = {}) => ({ id: 'e1', event_type: 'users.behaviors.CustomEvent', time: 1763900000, user: {}, ...overrides });

/** The messages of a batch, sized for SQS (every Currents item fits one). */
const buildMessages = (workspaceId: string, receivedAt: number, items: Parameters<typeof buildOrRefuse>[2]): string[] =>
  buildOrRefuse(workspaceId, receivedAt, items, sqsMessageFits) ?? [];

/** A POST body of workspace `workspaceId` at `receivedAt`, queued through `sender`. */
const ingestCurrents = (deps: { sender: QueueSender; queueUrl: string }, workspaceId: string, rawBody: string, receivedAt: number) =>
  ingest({ publisher: queuePublisher(deps.sender, deps.queueUrl) }, workspaceRecord({ workspaceId }), { rawBody, receivedAt, namedWorkspace: undefined });

const recordingSender = (failAll = false) => {
  const sent: string[] = [];
  const sender: QueueSender = {
    async sendBatch(_url, bodies) {
      if (failAll) return { failed: bodies.map((_, index) => index) };
      sent.push(...bodies);
      return { failed: [] };
    },
  };
  return { sender, sent };
};

describe('Currents body parsing', () => {
  it('treats an empty body and an empty events array as a credential check', () => {
    expect(parseCurrentsBody('')).toEqual({ ok: true, value: { kind: 'credential-check' } });
    expect(parseCurrentsBody('  \n')).toEqual({ ok: true, value: { kind: 'credential-check' } });
    expect(parseCurrentsBody('{"events":[]}')).toEqual({ ok: true, value: { kind: 'credential-check' } });
  });

  it.each([['not json'], ['[]'], ['{"events":{}}'], ['{}'], ['null'], ['"events"']])('answers 400 when the body is %s', (body) => {
    expect(parseCurrentsBody(body)).toMatchObject({ ok: false, refused: 'invalid' });
  });
});

describe('Currents envelope check', () => {
  it('accepts every event of the fixture covering all documented types', () => {
    const problems = fixture.events.map(envelopeProblem).filter((problem) => problem !== undefined);

    expect(problems).toEqual([]);
  });

  it.each([
    [{ id: '' }, 'id must be'],
    [{ id: 42 }, 'id must be'],
    [{ event_type: undefined }, 'event_type must be'],
    [{ time: 1763900000.5 }, 'time must be an integer'],
    [{ time: '1763900000' }, 'time must be an integer'],
    [{ time: -1 }, 'time must be an integer'],
  ])('names the problem of %p', (overrides, reason) => {
    expect(envelopeProblem(event(overrides))).toContain(reason);
  });

  it.each([
    ['id', { id: '漢'.repeat(337) }, 'id is longer than 1008 bytes (UTF-8)'],
    ['user.user_id', { user: { user_id: `${'漢'.repeat(340)}abc` } }, 'user.user_id is longer than 1022 bytes (UTF-8)'],
    ['user.external_user_id', { user: { external_user_id: '#'.repeat(341) } }, 'user.external_user_id is longer than 1020 bytes (UTF-8, each # or % counting 3)'],
    ['user.device_id', { user: { device_id: '😀'.repeat(255) + '%' } }, 'user.device_id is longer than 1020 bytes (UTF-8, each # or % counting 3)'],
    ['properties.orphaned_by_id of a users.UserOrphan', { event_type: 'users.UserOrphan', properties: { orphaned_by_id: '漢'.repeat(341) } }, 'properties.orphaned_by_id is longer than 1022 bytes (UTF-8)'],
  ])('names %s over its key byte budget (the worker would fail its write on every delivery)', (_field, overrides, reason) => {
    expect(envelopeProblem(event(overrides))).toBe(reason);
  });

  it('accepts keyed fields exactly at their byte budgets', () => {
    const atBudget = event({ id: `${'漢'.repeat(336)}`, user: { user_id: `${'漢'.repeat(340)}ab`, external_user_id: '#'.repeat(340), device_id: '漢'.repeat(340) } });

    expect(Buffer.byteLength(atBudget.id)).toBe(1008);
    expect(envelopeProblem(atBudget)).toBeUndefined();
  });

  it('leaves alone what the worker never keys: orphaned_by_id of other events; a long user id within its budget only makes the user block unreadable', () => {
    expect(envelopeProblem(event({ properties: { orphaned_by_id: '漢'.repeat(400) } }))).toBeUndefined();
    expect(envelopeProblem(event({ user: { user_id: 'a'.repeat(600) } }))).toBeUndefined();
  });

  it('checks bytes whatever the length in UTF-16 units: 493 emoji are 986 units but 493 characters to the worker, and 1,972 bytes', () => {
    expect(envelopeProblem(event({ user: { user_id: 'u-1', device_id: '😀'.repeat(493) } }))).toBe('user.device_id is longer than 1020 bytes (UTF-8, each # or % counting 3)');
  });

  it('rejects a non-object element', () => {
    expect(envelopeProblem('event')).toBe('event is not a JSON object');
  });

  it('does not care about an odd user block or unknown fields', () => {
    expect(envelopeProblem(event({ user: 'weird', brand_new: { a: 1 } }))).toBeUndefined();
  });
});

describe('Currents batch to messages', () => {
  it('keeps one malformed event as a reject and queues the rest unchanged', () => {
    const good = event({ id: 'good', properties: { custom_properties: { big: 12345678901234, nested: [1, { x: null }] } }, extra: true });
    const classified = classifyEvents([good, { id: 'bad', event_type: 'x' }]);

    expect(classified.accepted).toBe(1);
    expect(classified.rejected).toEqual([{ index: 1, reason: 'time must be an integer number of UNIX seconds', raw: '{"id":"bad","event_type":"x"}' }]);
    const [body] = buildMessages('ws1', 1000, classified.items);
    const message = currentsMessageSchema.parse(JSON.parse(body!));
    expect(message.events).toEqual([good]);
    expect(message.rejects).toHaveLength(1);
  });

  it('rejects only the event whose id is over its key byte budget: the rest of the batch is queued', () => {
    const good = event({ id: 'good' });
    const long = event({ id: '漢'.repeat(512) });

    const classified = classifyEvents([good, long, event({ id: 'also-good' })]);

    expect(classified.accepted).toBe(2);
    expect(classified.rejected).toEqual([{ index: 1, reason: 'id is longer than 1008 bytes (UTF-8)', raw: JSON.stringify(long) }]);
  });

  it('splits a large batch into messages under the SQS limit', () => {
    const padding = 'x'.repeat(20_000);
    const events = Array.from({ length: 100 }, (_, index) => event({ id: `e${index}`, properties: { padding } }));

    const messages = buildMessages('ws1', 1000, classifyEvents(events).items);

    expect(messages.length).toBeGreaterThan(1);
    for (const body of messages) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    const ids = messages.flatMap((body) => currentsMessageSchema.parse(JSON.parse(body)).events.map((e) => e.id));
    expect(ids).toEqual(events.map((e) => e.id));
  });

  it('compresses an event too big for a message on its own, and restores it exactly', () => {
    const big = event({ id: 'big', properties: { text: 'lorem ipsum dolor '.repeat(20_000) } });

    const classified = classifyEvents([big]);
    const message = currentsMessageSchema.parse(JSON.parse(buildMessages('ws1', 1000, classified.items)[0]!));

    expect(classified.packed).toBe(1);
    expect(message.events).toEqual([]);
    expect(unpackEvent(message.packed[0]!)).toEqual(big);
  });

  it('rejects with a clear reason an event too big even compressed', () => {
    const random = randomBytes(400_000).toString('base64');

    const classified = classifyEvents([event({ id: 'huge', properties: { random } })]);

    expect(classified.accepted).toBe(0);
    expect(classified.rejected[0]?.reason).toMatch(/larger than a queue message/);
    expect(classified.rejected[0]?.truncated).toBe(true);
  });

  it('gives the same content the same dedupe key, whatever the receive time', () => {
    const items = classifyEvents([event()]).items;

    const first = JSON.parse(buildMessages('ws1', 1000, items)[0]!);
    const again = JSON.parse(buildMessages('ws1', 9000, items)[0]!);
    const otherWorkspace = JSON.parse(buildMessages('ws2', 1000, items)[0]!);

    expect(again.dedupeKey).toBe(first.dedupeKey);
    expect(otherWorkspace.dedupeKey).not.toBe(first.dedupeKey);
  });
});

describe('ingestCurrents', () => {
  it('queues nothing for a credential check', async () => {
    const { sender, sent } = recordingSender();

    const result = await ingestCurrents({ sender, queueUrl: 'q' }, 'ws1', '{"events":[]}', 1000);

    expect(result.kind).toBe('credential-check');
    expect(sent).toEqual([]);
  });

  it('answers 503 when the batch cannot be queued whole', async () => {
    const { sender } = recordingSender(true);

    await expect(ingestCurrents({ sender, queueUrl: 'q' }, 'ws1', JSON.stringify(fixture), 1000)).resolves.toMatchObject({ kind: 'unavailable', publish: { ok: false, queued: 0 } });
  });
});
