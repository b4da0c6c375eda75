import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { folderEventArchive, s3EventArchive } from '../../functions/adapters/event-archive';
import { archiveDay, archiveEvents, archiveKey, archiveMessageId, archiveObjects, OTHER_TYPE } from '../../functions/domain/event-archive';
import type { CurrentsEvent } from '../../functions/schemas/currents';

const message = { dedupeKey: 'currents#ws1#abc', workspaceId: 'ws1', receivedAt: 1_763_900_100_000 };
const ev = (id: string, time: number, type = 'users.behaviors.CustomEvent', user: Record<string, unknown> = { user_id: 'u1' }): CurrentsEvent =>
  ({ id, event_type: type, time, user, properties: { n: id, big: 2 ** 40 } });

const linesOf = (body: Uint8Array) => gunzipSync(body).toString('utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('Currents archive objects', () => {
  it('groups a message by UTC day and type under currents/dt=/type=/<message id>.json.gz', () => {
    const day1 = Date.UTC(2025, 10, 23, 23, 59, 59) / 1000;
    const objects = archiveObjects(message, [ev('a', day1), ev('b', day1 + 1), ev('c', day1, 'users.behaviors.Purchase'), ev('d', day1 - 5)]);
    const id = archiveMessageId(message.dedupeKey);

    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(objects.map((object) => object.key)).toEqual([
      `currents/dt=2025-11-23/type=users.behaviors.CustomEvent/${id}.json.gz`,
      `currents/dt=2025-11-23/type=users.behaviors.Purchase/${id}.json.gz`,
      `currents/dt=2025-11-24/type=users.behaviors.CustomEvent/${id}.json.gz`,
    ]);
    expect(linesOf(objects[0]!.body).map((line) => line.id)).toEqual(['d', 'a']);
  });

  it('writes one JSON line per event: the columns analysts filter on and the exact event text', () => {
    const event = ev('a', 1_763_900_000);
    const [object] = archiveObjects(message, [event, ev('anon', 1_763_900_000, 'users.behaviors.CustomEvent', {})]);

    expect(linesOf(object!.body)).toEqual([
      { workspace_id: 'ws1', id: 'a', event_type: 'users.behaviors.CustomEvent', time: 1_763_900_000, braze_id: 'u1', received_at: 1_763_900_100_000, event: JSON.stringify(event) },
      expect.objectContaining({ id: 'anon', event: expect.any(String) as unknown }),
    ]);
    expect(linesOf(object!.body)[1]).not.toHaveProperty('braze_id');
  });

  it('is deterministic: the same message in any order gives the same keys and bytes; another message other keys', () => {
    const events = [ev('a', 1_763_900_000), ev('b', 1_763_900_000), ev('c', 1_763_990_000, 'users.messages.email.Send')];
    const once = archiveObjects(message, events);
    const again = archiveObjects(message, [...events].reverse());
    const other = archiveObjects({ ...message, dedupeKey: 'currents#ws1#def' }, events);

    expect(again).toEqual(once);
    expect(other.map((object) => object.key)).not.toEqual(once.map((object) => object.key));
  });

  it('keeps odd types and times inside a safe key: type=_other, the epoch day', () => {
    expect(archiveDay(0)).toBe('1970-01-01');
    expect(archiveDay(Number.MAX_SAFE_INTEGER)).toBe('1970-01-01');
    const [object] = archiveObjects(message, [ev('a', 0, 'weird/../type with spaces')]);
    expect(object!.key).toBe(archiveKey('1970-01-01', OTHER_TYPE, archiveMessageId(message.dedupeKey)));
    expect(linesOf(object!.body)[0]).toMatchObject({ event_type: 'weird/../type with spaces' });
  });

  it('writes the objects as files of the same keys in the local folder, overwriting on redelivery', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'archive-'));
    const archive = folderEventArchive(dir);
    const events = [ev('a', 1_763_900_000), ev('b', 1_763_900_001, 'users.behaviors.Purchase')];

    expect(await archiveEvents(archive, message, events)).toBe(2);
    expect(await archiveEvents(archive, message, events)).toBe(2);
    expect(await archiveEvents(archive, message, [])).toBe(0);

    const day = join(dir, 'currents', 'dt=2025-11-23');
    expect(readdirSync(day).sort()).toEqual(['type=users.behaviors.CustomEvent', 'type=users.behaviors.Purchase']);
    const files = readdirSync(join(day, 'type=users.behaviors.Purchase'));
    expect(files).toEqual([`${archiveMessageId(message.dedupeKey)}.json.gz`]);
    expect(linesOf(readFileSync(join(day, 'type=users.behaviors.Purchase', files[0]!))).map((line) => line.id)).toEqual(['b']);
  });

  it('refuses a key that would leave the local folder', async () => {
    const archive = folderEventArchive(mkdtempSync(join(tmpdir(), 'archive-')));
    await expect(archive.append([{ key: '../escape.json.gz', body: new Uint8Array() }])).rejects.toThrow('outside the archive');
  });
});

describe('S3 archive adapter', () => {
  it('puts each object whole into the bucket under its key', async () => {
    const sent: { Bucket?: string; Key?: string; Body?: unknown; ContentType?: string }[] = [];
    const archive = s3EventArchive('archive-bucket', { send: (command: { input: (typeof sent)[number] }) => Promise.resolve(sent.push(command.input)) });
    const objects = archiveObjects(message, [ev('a', 1_763_900_000), ev('b', 1_763_900_000, 'users.behaviors.Purchase')]);

    await archive.append(objects);

    expect(sent.map(({ Bucket, Key, ContentType }) => ({ Bucket, Key, ContentType }))).toEqual(
      objects.map((object) => ({ Bucket: 'archive-bucket', Key: object.key, ContentType: 'application/x-ndjson' })),
    );
    expect(sent.map((input) => input.Body)).toEqual(objects.map((object) => object.body));
  });
});
