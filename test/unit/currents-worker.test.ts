/* eslint-disable @typescript-eslint/require-await -- in-memory fakes of async ports */
import { processCurrentsMessage, USER_CONCURRENCY } from '../../functions/domain/currents';
import type { CurrentsEvent, CurrentsMessage } from '../../functions/schemas/currents';
import { FakeDirectory } from './fakes/directory';
import { FakeMembership } from './fakes/membership';
import { gunzipSync } from 'node:zlib';
import type { ArchiveObject, EventArchive, EventsPort } from '../../functions/domain/ports';

const WS = 'ws1';

class FakeEvents implements EventsPort {
  readonly stored = new Map<string, { brazeId: string | undefined; event: CurrentsEvent; expiresAt: number }>();
  readonly markers = new Map<string, number>();
  readonly rejects: unknown[] = [];
  readonly log: string[] = [];
  failPutEvents = false;

  async processed(_ws: string, ids: readonly string[], nowSeconds: number) {
    return new Set(ids.filter((id) => (this.markers.get(id) ?? 0) > nowSeconds));
  }
  async markProcessed(_ws: string, ids: readonly string[], expiration: number) {
    this.log.push('markers');
    for (const id of ids) this.markers.set(id, expiration);
  }
  async putEvents(events: Parameters<EventsPort['putEvents']>[0]) {
    if (this.failPutEvents) throw new Error('throttled');
    this.log.push('events');
    for (const entry of events) this.stored.set(entry.event.id, { brazeId: entry.brazeId, event: entry.event, expiresAt: entry.expiresAt });
  }
  async putRejects(rejects: Parameters<EventsPort['putRejects']>[0]) {
    this.rejects.push(...rejects);
  }
  async deleteUserEvents(_ws: string, brazeId: string, keep: (eventId: string) => boolean = () => false) {
    let deleted = 0;
    for (const [id, entry] of this.stored) {
      if (entry.brazeId === brazeId && !keep(id)) {
        this.stored.delete(id);
        deleted += 1;
      }
    }
    return deleted;
  }
}

/** The archive as a map of key → JSON lines; a failure switch. */
class FakeArchive implements EventArchive {
  readonly objects = new Map<string, Buffer>();
  puts = 0;
  async append(objects: readonly ArchiveObject[]) {
    for (const object of objects) {
      this.puts += 1;
      this.objects.set(object.key, Buffer.from(object.body));
    }
  }
  lines(): Record<string, unknown>[] {
    return [...this.objects.values()].flatMap((body) => gunzipSync(body).toString('utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>));
  }
}

const message = (events: Record<string, unknown>[], rejects: CurrentsMessage['rejects'] = []): CurrentsMessage => ({
  dedupeKey: 'k',
  workspaceId: WS,
  receivedAt: 1_763_900_100_000,
  batchId: 'b1',
  events: events as CurrentsEvent[],
  packed: [],
  rejects,
});
const ev = (id: string, time: number, user: Record<string, string>, type = 'users.behaviors.CustomEvent', properties: Record<string, unknown> = {}) => ({
  id,
  event_type: type,
  time,
  user,
  properties,
});

describe('Currents worker', () => {
  let events: FakeEvents;
  let directory: FakeDirectory;
  let archive: FakeArchive;
  const deps = () => ({ directory, membership: new FakeMembership(), events, archive, clock: { now: () => 1_763_900_200_000 }, hotDays: 30 });

  beforeEach(() => {
    events = new FakeEvents();
    archive = new FakeArchive();
    directory = new FakeDirectory();
  });

  it('stores and archives each event once per message; a redelivery overwrites the same items and objects', async () => {
    const batch = message([ev('a', 1_763_900_000, { user_id: 'u1' }), ev('b', 1_763_900_001, { user_id: 'u1' }), ev('a', 1_763_900_000, { user_id: 'u1' })]);

    const first = await processCurrentsMessage(deps(), batch);
    const objects = new Map(archive.objects);
    const second = await processCurrentsMessage(deps(), batch);

    expect(first).toMatchObject({ received: 3, stored: 2, duplicates: 1, archiveObjects: 1 });
    expect(second).toMatchObject({ received: 3, stored: 2, duplicates: 1, archiveObjects: 1 });
    expect([...events.stored.keys()]).toEqual(['a', 'b']);
    expect(archive.objects).toEqual(objects);
    expect(archive.lines().map((line) => line.id)).toEqual(['a', 'b']);
  });

  it('writes no marker for ordinary events: storing them again is an overwrite', async () => {
    events.failPutEvents = true;
    await expect(processCurrentsMessage(deps(), message([ev('a', 1_763_900_000, { user_id: 'u1' })]))).rejects.toThrow('throttled');
    events.failPutEvents = false;
    const retried = await processCurrentsMessage(deps(), message([ev('a', 1_763_900_000, { user_id: 'u1' })]));

    expect(retried.stored).toBe(1);
    expect(events.markers.size).toBe(0);
    expect(events.log).toEqual(['events']);
  });

  it("marks identity commands once processed, after the events, and skips them when they come again", async () => {
    const orphan = ev('o1', 1_763_900_010, { user_id: 'orphan' }, 'users.UserOrphan', { orphaned_by_id: 'survivor' });
    await processCurrentsMessage(deps(), message([ev('a', 1_763_900_000, { user_id: 'orphan' }), orphan]));
    const again = await processCurrentsMessage(deps(), message([orphan]));

    expect(events.log).toEqual(['events', 'markers']);
    expect([...events.markers.keys()]).toEqual(['o1']);
    expect(events.markers.get('o1')).toBeGreaterThanOrEqual(1_763_900_200 + 12 * 86_400);
    expect(again).toMatchObject({ received: 1, duplicates: 1, merges: 0, archiveObjects: 1 });
  });

  /** Another worker creates every user right after this message read its snapshot; counts this message's single creates. */
  const loseEveryCreateRace = (users: readonly string[]) => {
    const snapshot = directory.getProfiles.bind(directory);
    const create = directory.createProfileWithIdentifiers.bind(directory);
    let first = true;
    directory.getProfiles = async (ws, ids) => {
      const found = await snapshot(ws, ids);
      if (first) {
        first = false;
        for (const user of users) await create(ws, user, { deviceIds: [`d-${user}`], identityVersion: 0 }, 'then');
      }
      return found;
    };
    const counter = { creates: 0 };
    directory.createProfileWithIdentifiers = (...args) => {
      counter.creates += 1;
      return create(...args);
    };
    return counter;
  };
  const twentyUsers = Array.from({ length: 20 }, (_, i) => `u${i}`);
  const eventsOf = (users: readonly string[]) => users.map((user, i) => ev(`e${i}`, 1_763_900_000, { user_id: user, device_id: `d-${user}` }));

  it('creates the new users of a message in one batch, which learns the profiles another worker created meanwhile', async () => {
    const counter = loseEveryCreateRace(twentyUsers);
    let batches = 0;
    const batch = directory.createProfilesWithIdentifiers.bind(directory);
    directory.createProfilesWithIdentifiers = (...args) => {
      batches += 1;
      return batch(...args);
    };

    const stats = await processCurrentsMessage(deps(), message(eventsOf(twentyUsers)));

    expect(stats.directory).toEqual({ unchanged: 20 });
    expect(batches).toBe(1);
    expect(counter.creates).toBe(0);
  });

  it('reads the other new users again once a create lost its race, when the batch left them undecided', async () => {
    const counter = loseEveryCreateRace(twentyUsers);
    // Contention: the batch decided nothing, every user takes the one-by-one path.
    directory.createProfilesWithIdentifiers = async () => new Map();

    const stats = await processCurrentsMessage(deps(), message(eventsOf(twentyUsers)));

    expect(stats.directory).toEqual({ unchanged: 20 });
    // One lost create per lane at most (8 lanes), then the refreshed snapshot.
    expect(counter.creates).toBeLessThanOrEqual(USER_CONCURRENCY);
  });

  it("writes a message's identity confirmations together, once per user with its newest event", async () => {
    const HOUR_S = 3600;
    for (const user of ['u1', 'u2', 'u3']) directory.seedProfile(WS, user, { externalId: `c-${user}`, identityVersion: 1_763_900_000_000 });
    const single = jest.spyOn(directory, 'bumpIdentityVersion');
    const batched = jest.spyOn(directory, 'bumpIdentityVersions');
    const at = (id: string, hours: number, user: string) => ev(id, 1_763_900_000 + hours * HOUR_S, { user_id: user, external_user_id: `c-${user}` });

    // u1 and u2 are confirmed more than an hour later (u1 twice: its newest counts); u3 within the hour.
    await processCurrentsMessage(deps(), message([at('a', 2, 'u1'), at('b', 3, 'u1'), at('c', 2, 'u2'), at('d', 0.5, 'u3')]));

    expect(single).not.toHaveBeenCalled();
    expect(batched).toHaveBeenCalledTimes(1);
    expect(directory.profile(WS, 'u1')?.identityVersion).toBe((1_763_900_000 + 3 * HOUR_S) * 1000);
    expect(directory.profile(WS, 'u2')?.identityVersion).toBe((1_763_900_000 + 2 * HOUR_S) * 1000);
    expect(directory.profile(WS, 'u3')?.identityVersion).toBe(1_763_900_000_000);
  });

  it('keeps events in DynamoDB for the hot window', async () => {
    await processCurrentsMessage(deps(), message([ev('a', 1_763_900_000, { user_id: 'u1' })]));

    // The message was received at 1_763_900_100 s, after the event's time: the window counts from then.
    expect(events.stored.get('a')?.expiresAt).toBe(1_763_900_100 + 30 * 86_400);
  });

  it('never stores an accepted event already expired: retention counts from max(event time, received)', async () => {
    const received = 1_763_900_100; // message.receivedAt, seconds
    const now = 1_763_900_200; // the worker's clock, seconds
    await processCurrentsMessage(deps(), message([
      ev('epoch', 0, { user_id: 'u1' }),
      ev('backfill', received - 500 * 86_400, { user_id: 'u1' }),
      ev('future', received + 3600, { user_id: 'u1' }),
    ]));

    expect(events.stored.get('epoch')?.expiresAt).toBe(received + 30 * 86_400);
    expect(events.stored.get('backfill')?.expiresAt).toBe(received + 30 * 86_400);
    expect(events.stored.get('future')?.expiresAt).toBe(received + 3600 + 30 * 86_400);
    for (const entry of events.stored.values()) expect(entry.expiresAt).toBeGreaterThan(now);
  });

  it('stores events with an empty user block under no user', async () => {
    await processCurrentsMessage(deps(), message([ev('agent', 1_763_900_000, {}, 'agentconsole.AgentExecuted')]));

    expect(events.stored.get('agent')?.brazeId).toBeUndefined();
    expect(directory.profiles.size).toBe(0);
  });

  it('merges on users.UserOrphan: the event user is the orphan, orphaned_by_id the survivor', async () => {
    await processCurrentsMessage(deps(), message([ev('s', 1_763_900_000, { user_id: 'survivor', external_user_id: 'c1' }), ev('o', 1_763_900_000, { user_id: 'orphan', device_id: 'd1' })]));

    const stats = await processCurrentsMessage(deps(), message([ev('m', 1_763_900_050, { user_id: 'orphan' }, 'users.UserOrphan', { orphaned_by_id: 'survivor' })]));

    expect(stats.merges).toBe(1);
    expect(directory.profile(WS, 'orphan')?.mergedInto).toBe('survivor');
    expect(directory.claimOf(WS, { kind: 'device_id', value: 'd1' })).toMatchObject({ profileId: 'survivor', ownerIdentified: true });
  });

  it("on users.UserDeleteRequest deletes the user's stored events but keeps the request, and drops later-arriving events", async () => {
    await processCurrentsMessage(deps(), message([ev('x', 1_763_900_000, { user_id: 'gone', external_user_id: 'c2' })]));

    await processCurrentsMessage(deps(), message([ev('del', 1_763_900_060, { user_id: 'gone' }, 'users.UserDeleteRequest')]));
    const late = await processCurrentsMessage(deps(), message([ev('late', 1_763_900_010, { user_id: 'gone', external_user_id: 'c2' })]));

    expect([...events.stored.keys()]).toEqual(['del']);
    expect(late.droppedForDeletedUser).toBe(1);
    expect(directory.profile(WS, 'gone')?.deletedAt).toBeDefined();
    expect(directory.claimOf(WS, { kind: 'external_id', value: 'c2' })).toBeUndefined();
  });

  it('stores the rejects of a message', async () => {
    await processCurrentsMessage(deps(), message([], [{ index: 3, reason: 'time must be an integer number of UNIX seconds', raw: '{}' }]));

    expect(events.rejects).toHaveLength(1);
  });
});
