/** Change events out (docs/events.md): the detail built from a flip, publishing per recorded flip, and the EventBridge adapter's batching and retries. */
import fc from 'fast-check';
import type { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { changeDetail, recordAndPublish } from '../../functions/domain/change-events';
import { eventBridgePublisher, PUT_EVENTS_BATCH } from '../../functions/adapters/change-events';
import type { MembershipFlip } from '../../functions/schemas/membership-history';
import { fakeChangeEvents } from './fakes/change-events';

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
    await recordAndPublish({ history, events }, [entered, entered, { oldImage: image('member', 'v1'), newImage: image('member', 'v2') }]);
    await recordAndPublish({ history, events }, [{ oldImage: image('member', 'v2'), newImage: image('removed', 'v3', { source: { kind: 'user_deletion' } }) }]);
    expect(stored).toHaveLength(1);
    expect(events.published.map((detail) => [detail.direction, detail.version])).toEqual([['entered', 'v1']]);
  });

  it('throws when publishing fails, so the stream batch is retried; the retry publishes the same event', async () => {
    const { history } = historyOf();
    const events = fakeChangeEvents();
    const change = [{ oldImage: image('member', 'v1'), newImage: image('removed', 'v2') }];
    events.failNext(1);
    await expect(recordAndPublish({ history, events }, change)).rejects.toThrow('PutEvents');
    await recordAndPublish({ history, events }, change);
    expect(events.published).toEqual([changeDetail({ ...flip(), direction: 'exited', version: 'v2', changedAt: '2026-12-04T00:00:00.000Z' })]);
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
