/**
 * Following `mergedInto`: a profile merged (orphaned) into another stands for the profile at the end
 * of its chain. One walk for every reader — the directory rules (one id at a time, live profiles
 * only: `resolveLive`), cohort matching and the read API (many ids in batches: `resolveSurvivors`).
 */
import type { Profile } from '../schemas/directory';

/** How many `mergedInto` hops are followed before a chain is treated as broken. */
export const MAX_MERGE_HOPS = 5;

/** Reads profiles by braze id, one call per hop; missing ids are absent from the map. */
export type ProfileLookup = (brazeIds: readonly string[]) => Promise<Map<string, Profile>>;

/**
 * The profile at the end of each id's merge chain (not merged into another; a profile naming itself
 * ends its chain too), keyed by the id asked for. Absent when a profile on the way is missing or the
 * chain is longer than `MAX_MERGE_HOPS`. Ids whose chains meet are read once per hop.
 */
export const followMergeChains = async (read: ProfileLookup, brazeIds: readonly string[]): Promise<Map<string, Profile>> => {
  const ends = new Map<string, Profile>();
  let pending = new Map<string, string[]>([...new Set(brazeIds)].map((id) => [id, [id]]));
  for (let hop = 0; hop <= MAX_MERGE_HOPS && pending.size > 0; hop += 1) {
    const found = await read([...pending.keys()]);
    const next = new Map<string, string[]>();
    for (const [id, origins] of pending) {
      const profile = found.get(id);
      if (!profile) continue;
      if (profile.mergedInto === undefined || profile.mergedInto === id) {
        for (const origin of origins) ends.set(origin, profile);
      } else {
        next.set(profile.mergedInto, [...(next.get(profile.mergedInto) ?? []), ...origins]);
      }
    }
    pending = next;
  }
  return ends;
};
