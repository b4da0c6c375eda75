import { changeVersion, collapseChanges, decide, tally } from '../../functions/domain/membership';

describe('membership decisions', () => {
  const v1 = changeVersion(1_000, 'a');
  const v2 = changeVersion(2_000, 'a');

  it('orders versions by receive time, then by tie-breaker, as plain strings', () => {
    expect(changeVersion(999, 'z') < changeVersion(1_000, 'a')).toBe(true);
    expect(changeVersion(1_000, 'a') < changeVersion(1_000, 'b')).toBe(true);
    expect(changeVersion(10_000_000_000_000, 'a') > changeVersion(9_999_999_999_999, 'z')).toBe(true);
  });

  it('ignores a change whose version is not newer than the stored one', () => {
    expect(decide({ status: 'member', version: v2 }, 'remove', v1)).toBe('stale');
    expect(decide({ status: 'member', version: v2 }, 'remove', v2)).toBe('stale');
  });

  it('flips status only on a real change and refreshes the version otherwise', () => {
    expect(decide(undefined, 'add', v1)).toBe('add');
    expect(decide({ status: 'member', version: v1 }, 'remove', v2)).toBe('remove');
    expect(decide({ status: 'member', version: v1 }, 'add', v2)).toBe('refresh');
    expect(decide(undefined, 'remove', v1)).toBe('refresh');
    expect(decide({ status: 'removed', version: v1 }, 'add', v2)).toBe('add');
  });

  it('ignores every change older than the set floor (a drain), even for a member with no item, and applies the rest', () => {
    const floor = changeVersion(1_500, 'drain');
    expect(decide(undefined, 'add', v1, floor)).toBe('stale');
    expect(decide({ status: 'removed', version: changeVersion(500, 'a') }, 'add', v1, floor)).toBe('stale');
    expect(decide({ status: 'member', version: v1 }, 'remove', floor, floor)).toBe('remove');
    expect(decide(undefined, 'add', v2, floor)).toBe('add');
    expect(decide({ status: 'member', version: v1 }, 'add', v2, floor)).toBe('refresh');
  });

  it('lets a removal win over an add of the same member in one request, in either order', () => {
    const first = collapseChanges([{ memberId: 'p1', op: 'add' }, { memberId: 'p1', op: 'remove' }]);
    const second = collapseChanges([{ memberId: 'p1', op: 'remove' }, { memberId: 'p1', op: 'add' }]);

    expect(first).toEqual({ changes: [{ memberId: 'p1', op: 'remove' }], conflicts: 1 });
    expect(second).toEqual({ changes: [{ memberId: 'p1', op: 'remove' }], conflicts: 1 });
  });

  it('collapses duplicates without counting them as conflicts', () => {
    expect(collapseChanges([{ memberId: 'p1', op: 'add' }, { memberId: 'p1', op: 'add' }])).toEqual({ changes: [{ memberId: 'p1', op: 'add' }], conflicts: 0 });
  });
});

describe('tallying decisions', () => {
  it('counts each decision once and keeps the current status on a refresh', () => {
    const result = { added: 0, removed: 0, unchanged: 0, stale: 0 };
    const v = changeVersion(1, 'a');

    const statuses = [
      tally(result, 'add', undefined),
      tally(result, 'remove', { status: 'member', version: v }),
      tally(result, 'refresh', { status: 'member', version: v }),
      tally(result, 'refresh', undefined),
      tally(result, 'stale', { status: 'member', version: v }),
    ];

    expect(statuses).toEqual(['member', 'removed', 'member', 'removed', undefined]);
    expect(result).toEqual({ added: 1, removed: 1, unchanged: 2, stale: 1 });
  });
});
