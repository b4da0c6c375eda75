/** Change events out (docs/events.md): the detail built from a flip, publishing per recorded flip, and the EventBridge adapter's batching and retries. */
import fc from 'fast-check';
import type { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { changeDetail, recordAndPublish } from '../../functions/domain/change-events';
import { eventBridgePublisher, PUT_EVENTS_BATCH } from '../../functions/adapters/change-events';
import type { MembershipFlip } from '../../functions/schemas/membership-history';
import { newProfile, type Profile } from '../../functions/schemas/directory';
import type { ProfileReader } from '../../functions/domain/ports';
import { fakeChangeEvents } from './fakes/change-events';

/** A users table stand-in: the given profiles; counts its batch reads and the ids each asked for. */
const profilesOf = (profiles: readonly Profile[] = []) => {
  const reads: { workspaceId: string; brazeIds: string[] }[] = [];
  const reader: ProfileReader = {
    getProfiles: (workspaceId, brazeIds) => {
      reads.push({ workspaceId, brazeIds: [...brazeIds] });
      return Promise.resolve(new Map(profiles.filter((p) => p.workspaceId === workspaceId && brazeIds.includes(p.brazeId)).map((p) => [p.brazeId, p])));
    },
  };
  return { reads, reader };
};
const NOW = '2026-12-04T00:00:00.000Z';

const flip = (extra: Partial<MembershipFlip> = {}): MembershipFlip => ({
  workspaceId: 'ws',
  setKind: 'cohort',
  setId: 'c1',
  memberKind: 'profile',
  memberId: 'b1',
  direction: 'entered',
  version: '2026-12-04T00:00:00.000Z#0001',
  changedAt: '2026-12-04T00:00:01.000Z',
  source: { kind: 'cohort_import', importId: 'imp-1', partner: 'heap' },
  ...extra,
});

const image = (status: 'member' | 'removed', version: string, extra: Record<string, unknown> = {}) => ({
  workspaceId: 'ws', setKind: 'cohort', setId: 'c1', memberKind: 'profile', memberId: 'b1', status, version,
  changedAt: '2026-12-04T00:00:00.000Z', source: { kind: 'cohort_import', importId: 'imp-1', partner: 'heap' }, ...extra,
});

describe('changeDetail', () => {
  it('names a cohort member by braze id, with direction, version, source and time', () => {
    expect(changeDetail(flip())).toEqual({
      event_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      workspace_id: 'ws',
      set_kind: 'cohort',
      set_id: 'c1',
      member: { braze_id: 'b1' },
      direction: 'entered',
      version: '2026-12-04T00:00:00.000Z#0001',
      source: { kind: 'cohort_import', importId: 'imp-1', partner: 'heap' },
      changed_at: '2026-12-04T00:00:01.000Z',
    });
  });

  it('names a segment visitor by visitor id, and leaves out an absent source', () => {
    const { source: _source, ...noSource } = flip({ setKind: 'segment', memberKind: 'visitor', memberId: 'v9', direction: 'exited' });
    const detail = changeDetail(noSource);
    expect(detail.member).toEqual({ visitor_id: 'v9' });
    expect(detail).not.toHaveProperty('source');
    expect(detail.direction).toBe('exited');
  });

  it('gives the same flip the same event id and different flips different ones (property, fresh seed)', () => {
    const arb = fc.record({ setId: fc.string(), memberId: fc.string(), version: fc.string(), direction: fc.constantFrom('entered' as const, 'exited' as const) });
    fc.assert(
      fc.property(arb, arb, (a, b) => {
        const same = a.setId === b.setId && a.memberId === b.memberId && a.version === b.version && a.direction === b.direction;
        expect(changeDetail(flip(a)).event_id === changeDetail(flip(b)).event_id).toBe(same);
        expect(changeDetail(flip(a))).toEqual(changeDetail(flip(a)));
      }),
    );
  });
});

describe('recordAndPublish', () => {
  const historyOf = () => {
    const stored: MembershipFlip[] = [];
    return { stored, history: { record: (flips: readonly MembershipFlip[]) => Promise.resolve(void stored.push(...flips)), memberHistory: () => Promise.resolve({ flips: [] }), forgetMember: () => Promise.resolve(0) } };
  };

  it('publishes exactly one event per recorded flip; a refresh, a duplicate or a deletion publishes nothing', async () => {
    const { stored, history } = historyOf();
    const events = fakeChangeEvents();
    const entered = { oldImage: undefined, newImage: image('member', 'v1') };
    const profiles = profilesOf().reader;
    await recordAndPublish({ history, events, profiles }, [entered, entered, { oldImage: image('member', 'v1'), newImage: image('member', 'v2') }]);
    await recordAndPublish({ history, events, profiles }, [{ oldImage: image('member', 'v2'), newImage: image('removed', 'v3', { source: { kind: 'user_deletion' } }) }]);
    expect(stored).toHaveLength(1);
    expect(events.published.map((detail) => [detail.direction, detail.version])).toEqual([['entered', 'v1']]);
  });

  it('throws when publishing fails, so the stream batch is retried; the retry publishes the same event', async () => {
    const { history } = historyOf();
    const events = fakeChangeEvents();
    const change = [{ oldImage: image('member', 'v1'), newImage: image('removed', 'v2') }];
    const profiles = profilesOf().reader;
    events.failNext(1);
    await expect(recordAndPublish({ history, events, profiles }, change)).rejects.toThrow('PutEvents');
    await recordAndPublish({ history, events, profiles }, change);
    expect(events.published).toEqual([changeDetail({ ...flip(), direction: 'exited', version: 'v2', changedAt: '2026-12-04T00:00:00.000Z' })]);
  });
});

describe('external ids in change events', () => {
  const historyStub = { record: () => Promise.resolve(), memberHistory: () => Promise.resolve({ flips: [] }), forgetMember: () => Promise.resolve(0) };
  const enteredImage = (memberId: string, extra: Record<string, unknown> = {}) => ({ oldImage: undefined, newImage: image('member', 'v1', { memberId, ...extra }) });

  it('adds the external id of an identified profile, reading the users table once per batch; anonymous, merged, deleted and visitors get none', async () => {
    const { reads, reader } = profilesOf([
      newProfile('ws', 'b1', NOW, { externalId: 'u1' }),
      newProfile('ws', 'b2', NOW),
      newProfile('ws', 'b3', NOW, { externalId: 'u3', mergedInto: 'b1' }),
      newProfile('ws', 'b4', NOW, { externalId: 'u4', deletedAt: NOW }),
    ]);
    const events = fakeChangeEvents();
    const visitor = { oldImage: undefined, newImage: image('member', 'v1', { setKind: 'segment', memberKind: 'visitor', memberId: 'v9' }) };
    await recordAndPublish({ history: historyStub, events, profiles: reader }, [enteredImage('b1'), enteredImage('b2'), enteredImage('b3'), enteredImage('b4'), enteredImage('b5'), visitor]);
    expect(events.published.map((detail) => detail.member)).toEqual([
      { braze_id: 'b1', external_id: 'u1' },
      { braze_id: 'b2' },
      { braze_id: 'b3' },
      { braze_id: 'b4' },
      { braze_id: 'b5' },
      { visitor_id: 'v9' },
    ]);
    expect(reads).toEqual([{ workspaceId: 'ws', brazeIds: ['b1', 'b2', 'b3', 'b4', 'b5'] }]);
  });

  it('reads each workspace of a batch once, and nothing for a batch without profile flips', async () => {
    const { reads, reader } = profilesOf([newProfile('ws2', 'b1', NOW, { externalId: 'other' })]);
    const events = fakeChangeEvents();
    await recordAndPublish({ history: historyStub, events, profiles: reader }, [enteredImage('b1'), enteredImage('b1', { workspaceId: 'ws2', version: 'v2' })]);
    expect(events.published.map((detail) => [detail.workspace_id, detail.member.external_id])).toEqual([['ws', undefined], ['ws2', 'other']]);
    expect(reads.map((read) => read.workspaceId)).toEqual(['ws', 'ws2']);
    const visitorOnly = { oldImage: undefined, newImage: image('member', 'v3', { setKind: 'segment', memberKind: 'visitor', memberId: 'v9' }) };
    await recordAndPublish({ history: historyStub, events, profiles: reader }, [visitorOnly]);
    expect(reads).toHaveLength(2);
  });

  it('keeps the event id of a flip whatever the lookup found (property, fresh seed)', () => {
    fc.assert(
      fc.property(fc.option(fc.string(), { nil: undefined }), fc.option(fc.string(), { nil: undefined }), (a, b) => {
        expect(changeDetail(flip(), a).event_id).toBe(changeDetail(flip(), b).event_id);
        expect(changeDetail(flip(), a).member).toEqual(a === undefined ? { braze_id: 'b1' } : { braze_id: 'b1', external_id: a });
      }),
    );
  });
});

describe('eventBridgePublisher', () => {
  /** A PutEvents stand-in that fails the entries at the given positions of the first call. */
  const client = (failFirst: readonly number[]) => {
    const calls: { Source?: string; DetailType?: string; Detail?: string; EventBusName?: string }[][] = [];
    return {
      calls,
      send: (command: PutEventsCommand) => {
        const entries = command.input.Entries ?? [];
        const failing = calls.length === 0 ? failFirst : [];
        calls.push(entries);
        return Promise.resolve({ FailedEntryCount: failing.length, Entries: entries.map((_, i) => (failing.includes(i) ? { ErrorCode: 'InternalFailure' } : { EventId: `e${i}` })) });
      },
    };
  };

  it('sends batches of at most 10 entries on the bus, with the source and detail type', async () => {
    const fake = client([]);
    const details = Array.from({ length: 23 }, (_, i) => changeDetail(flip({ memberId: `b${i}` })));
    await eventBridgePublisher(fake as never, 'hub-changes', 0).publish(details);
    expect(fake.calls.map((call) => call.length)).toEqual([PUT_EVENTS_BATCH, PUT_EVENTS_BATCH, 3]);
    expect(fake.calls[0]?.[0]).toMatchObject({ EventBusName: 'hub-changes', Source: 'audience-hub', DetailType: 'audience.membership.changed' });
    expect(fake.calls.flat().map((entry) => JSON.parse(entry.Detail ?? '{}').member.braze_id)).toEqual(details.map((detail) => detail.member.braze_id));
  });

  it('re-sends only the failed entries', async () => {
    const fake = client([1, 3]);
    const details = Array.from({ length: 4 }, (_, i) => changeDetail(flip({ memberId: `b${i}` })));
    await eventBridgePublisher(fake as never, 'hub-changes', 0).publish(details);
    expect(fake.calls[1]?.map((entry) => JSON.parse(entry.Detail ?? '{}').member.braze_id)).toEqual(['b1', 'b3']);
  });

  it('throws when entries keep failing', async () => {
    const always = { send: (command: PutEventsCommand) => Promise.resolve({ FailedEntryCount: 1, Entries: (command.input.Entries ?? []).map(() => ({ ErrorCode: 'ThrottlingException' })) }) };
    await expect(eventBridgePublisher(always as never, 'hub-changes', 0).publish([changeDetail(flip())])).rejects.toThrow('still failed');
  });
});
