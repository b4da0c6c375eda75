/** The membership history's pure rules: flips from (old image, new image), plain attributes only. */
import fc from 'fast-check';
import { byVersion, flipOf, recordChanges, uniqueFlips } from '../../functions/domain/membership-history';
import type { MembershipFlip } from '../../functions/schemas/membership-history';

const member = (status: 'member' | 'removed', version: string, extra: Record<string, unknown> = {}) => ({
  // Key attributes are deliberately odd: the flip must not depend on them.
  pk: 'anything#shard-7',
  sk: 'whatever',
  workspaceId: 'ws',
  setKind: 'cohort',
  setId: 'c1',
  memberKind: 'profile',
  memberId: 'b1',
  status,
  version,
  changedAt: '2026-12-04T00:00:00.000Z',
  source: { kind: 'cohort_import', importId: 'imp-1', partner: 'heap' },
  ...extra,
});

describe('flipOf', () => {
  it('enters when a new item or a tombstone becomes a member', () => {
    expect(flipOf(undefined, member('member', 'v1'))).toMatchObject({ direction: 'entered', version: 'v1', memberId: 'b1', source: { importId: 'imp-1' } });
    expect(flipOf(member('removed', 'v1'), member('member', 'v2'))).toMatchObject({ direction: 'entered', version: 'v2' });
  });

  it('exits when a member becomes a tombstone', () => {
    expect(flipOf(member('member', 'v1'), member('removed', 'v2'))).toMatchObject({ direction: 'exited', version: 'v2' });
  });

  it('reads a member moved from its set\'s old partition (no old image) by the status it brought along', () => {
    expect(flipOf(undefined, member('member', 'v2', { movedFrom: 'member' }))).toBeUndefined();
    expect(flipOf(undefined, member('removed', 'v2', { movedFrom: 'member' }))).toMatchObject({ direction: 'exited', version: 'v2' });
    expect(flipOf(undefined, member('member', 'v2', { movedFrom: 'removed' }))).toMatchObject({ direction: 'entered' });
  });

  it('records nothing for a refresh, a tombstone of a non-member, a deletion or a non-member item', () => {
    expect(flipOf(member('member', 'v1'), member('member', 'v2'))).toBeUndefined();
    expect(flipOf(undefined, member('removed', 'v1'))).toBeUndefined();
    expect(flipOf(member('member', 'v1'), undefined)).toBeUndefined();
    expect(flipOf(undefined, { pk: 'ws#C#c1', sk: 'META', memberCount: 3, workspaceId: 'ws', setKind: 'cohort', setId: 'c1' })).toBeUndefined();
    expect(flipOf(undefined, { pk: 'ws#C#c1#COUNT#3', sk: 'COUNT', count: 1 })).toBeUndefined();
  });

  it('flips exactly when membership status differs (property, fresh seed)', () => {
    fc.assert(
      fc.property(fc.option(fc.constantFrom('member' as const, 'removed' as const), { nil: undefined }), fc.constantFrom('member' as const, 'removed' as const), (before, after) => {
        const flip = flipOf(before ? member(before, 'v1') : undefined, member(after, 'v2'));
        expect(flip !== undefined).toBe((before === 'member') !== (after === 'member'));
      }),
    );
  });
});

describe('recordChanges', () => {
  it('stores each flip once per set, member, version and direction', async () => {
    const stored: MembershipFlip[][] = [];
    const forgotten: string[] = [];
    const history = {
      record: (flips: readonly MembershipFlip[]) => Promise.resolve(void stored.push([...flips])),
      memberHistory: () => Promise.resolve({ flips: [] }),
      forgetMember: (_ws: string, _kind: string, memberId: string) => Promise.resolve(forgotten.push(memberId)),
    };
    const change = { oldImage: undefined, newImage: member('member', 'v1') };
    const flips = await recordChanges({ history }, [change, change, { oldImage: member('member', 'v1'), newImage: member('member', 'v3') }]);
    expect(flips).toHaveLength(1);
    expect(stored).toEqual([flips]);
    expect(await recordChanges({ history }, [{ oldImage: undefined, newImage: member('removed', 'v1') }])).toEqual([]);
    expect(stored).toHaveLength(1);
    // A deletion's exit is not recorded: the member's history is forgotten instead.
    expect(await recordChanges({ history }, [{ oldImage: member('member', 'v1'), newImage: member('removed', 'v9', { source: { kind: 'user_deletion' } }) }])).toEqual([]);
    expect(forgotten).toEqual(['b1']);
    expect(stored).toHaveLength(1);
  });

  it('orders by version whatever the delivery order', () => {
    const a = flipOf(undefined, member('member', '000000000000001#a'))!;
    const b = flipOf(member('member', 'x'), member('removed', '000000000000002#b'))!;
    expect(byVersion([b, a]).map((flip) => flip.direction)).toEqual(['entered', 'exited']);
    expect(uniqueFlips([a, a, b])).toEqual([a, b]);
  });
});
