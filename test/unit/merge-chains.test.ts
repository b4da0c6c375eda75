import { followMergeChains, MAX_MERGE_HOPS, type ProfileLookup } from '../../functions/domain/merge-chains';
import { newProfile, type Profile } from '../../functions/schemas/directory';

const NOW = '2026-01-01T00:00:00.000Z';

/** A lookup over fixed profiles that records the ids of every call. */
const lookup = (profiles: readonly Profile[]) => {
  const byId = new Map(profiles.map((profile) => [profile.brazeId, profile]));
  const calls: string[][] = [];
  const read: ProfileLookup = (ids) => {
    calls.push([...ids]);
    return Promise.resolve(new Map(ids.flatMap((id) => (byId.has(id) ? [[id, byId.get(id)!] as const] : []))));
  };
  return { read, calls };
};

const merged = (brazeId: string, into: string) => newProfile('ws', brazeId, NOW, { mergedInto: into });
const live = (brazeId: string) => newProfile('ws', brazeId, NOW);

describe('followMergeChains', () => {
  it('ends every id at the profile its chain ends at, reading ids whose chains meet once per hop', async () => {
    const { read, calls } = lookup([merged('a', 'b'), merged('c', 'b'), merged('b', 'd'), live('d'), live('e')]);

    const ends = await followMergeChains(read, ['a', 'c', 'e', 'a']);

    expect(Object.fromEntries([...ends].map(([id, profile]) => [id, profile.brazeId]))).toEqual({ a: 'd', c: 'd', e: 'e' });
    expect(calls).toEqual([['a', 'c', 'e'], ['b'], ['d']]);
  });

  it('leaves out ids whose chain meets a missing profile or is longer than the hop limit', async () => {
    const chain = Array.from({ length: MAX_MERGE_HOPS + 2 }, (_, index) => `p${index}`);
    const long = chain.slice(0, -1).map((id, index) => merged(id, chain[index + 1]!));
    const { read } = lookup([...long, live(chain.at(-1)!), merged('x', 'gone')]);

    const ends = await followMergeChains(read, ['p0', 'p1', 'x']);

    expect([...ends.keys()]).toEqual(['p1']);
    expect(ends.get('p1')?.brazeId).toBe(chain.at(-1));
  });

  it('ends a chain at a profile that names itself (a broken record is not followed in a loop)', async () => {
    const { read, calls } = lookup([merged('a', 'a')]);

    const ends = await followMergeChains(read, ['a']);

    expect(ends.get('a')?.mergedInto).toBe('a');
    expect(calls).toHaveLength(1);
  });
});
