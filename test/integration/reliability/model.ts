/**
 * Reference model for the fault-injection suite: what cohort and Heap segment membership must be
 * after a sequence of requests, computed with plain in-memory sets and no knowledge of DynamoDB,
 * queues or versions. Requests are applied in the order the hub received them (the harness gives
 * them strictly increasing receive times), which is what "the change with the greatest version
 * wins" means; within one request a removal beats an add of the same member.
 */

export type ModelIdentifier =
  | { readonly kind: 'external_id'; readonly value: string }
  | { readonly kind: 'alias'; readonly label: string; readonly name: string }
  | { readonly kind: 'device_id'; readonly value: string };

export interface ModelProfile {
  readonly externalId?: string;
  readonly mergedInto?: string;
}

/** The user directory as the model sees it: profiles and which profile holds each identifier. */
export interface DirectoryModel {
  readonly profiles: ReadonlyMap<string, ModelProfile>;
  /** `modelKey(identifier)` → braze id of the profile that claimed it. */
  readonly claims: ReadonlyMap<string, string>;
}

export const modelKey = (id: ModelIdentifier): string =>
  id.kind === 'alias' ? `alias|${id.label}|${id.name}` : `${id.kind}|${id.value}`;

/**
 * Braze's matching rules: external_id and alias match their profile (a merged profile stands for
 * its survivor); a device_id matches only while that profile has no external_id; anything
 * unknown is unmatched — an import never creates a profile.
 */
export const resolveIdentifier = (directory: DirectoryModel, id: ModelIdentifier): string | undefined => {
  let brazeId = directory.claims.get(modelKey(id));
  for (let hops = 0; brazeId !== undefined && hops < 5; hops += 1) {
    const next = directory.profiles.get(brazeId)?.mergedInto;
    if (next === undefined) break;
    brazeId = next;
  }
  if (brazeId === undefined || !directory.profiles.has(brazeId)) return undefined;
  if (id.kind === 'device_id' && directory.profiles.get(brazeId)?.externalId !== undefined) return undefined;
  return brazeId;
};

export interface ModelChange {
  readonly member: string;
  readonly op: 'add' | 'remove';
}

/**
 * One request's effect on one member, for the history check: the request's receive time (the ms
 * prefix of the hub's version of it), whether it added the member (a multi-part request may apply
 * its add before its removal: a transient `entered`), and whether the member is in the set after it.
 */
export interface ModelStep {
  readonly ms: number;
  readonly added: boolean;
  readonly after: boolean;
}

/** The key of one member of one set in `MembershipModel.steps`. */
export const memberKey = (set: string, member: string): string => `${set}\u0000${member}`;

/** Membership of every set (cohort or segment), keyed by the caller's set key. */
export class MembershipModel {
  readonly sets = new Map<string, Set<string>>();
  /** Per set and member (`memberKey`), every request that touched it, in receive order. */
  readonly steps = new Map<string, ModelStep[]>();
  /** Every member a set ever had a change for (a drain removes at its version whatever the hub holds). */
  private readonly seen = new Map<string, Set<string>>();

  private step(set: string, member: string, ms: number | undefined, added: boolean): void {
    if (ms === undefined) return;
    const key = memberKey(set, member);
    const list = this.steps.get(key) ?? [];
    this.steps.set(key, [...list, { ms, added, after: this.members(set).has(member) }]);
    this.seen.set(set, (this.seen.get(set) ?? new Set()).add(member));
  }

  members(set: string): Set<string> {
    let members = this.sets.get(set);
    if (!members) this.sets.set(set, (members = new Set()));
    return members;
  }

  /** One request's changes (received at `ms`): the last word per member, except that a removal always wins. */
  apply(set: string, changes: readonly ModelChange[], ms?: number): void {
    const removed = new Set(changes.filter((change) => change.op === 'remove').map((change) => change.member));
    const members = this.members(set);
    for (const change of changes) {
      if (removed.has(change.member)) members.delete(change.member);
      else members.add(change.member);
    }
    const added = new Set(changes.filter((change) => change.op === 'add').map((change) => change.member));
    for (const member of new Set(changes.map((change) => change.member))) this.step(set, member, ms, added.has(member));
  }

  /** Heap drain: the segment is emptied as of this request. */
  drain(set: string, ms?: number): void {
    this.members(set).clear();
    for (const member of this.seen.get(set) ?? []) this.step(set, member, ms, false);
  }

  /** A cohort delta: identifiers resolved to profiles, unmatched ones dropped. */
  applyCohortDelta(set: string, directory: DirectoryModel, changes: readonly { id: ModelIdentifier; op: 'add' | 'remove' }[], ms?: number): void {
    const resolved: ModelChange[] = [];
    for (const change of changes) {
      const member = resolveIdentifier(directory, change.id);
      if (member !== undefined) resolved.push({ member, op: change.op });
    }
    this.apply(set, resolved, ms);
  }
}

/** AB Tasty visitor ids as the hub keeps them: `[a-z0-9-]{1,32}`, lower-cased; anything else is ignored. */
export const normaliseVisitor = (raw: string): string | undefined => (/^[a-z0-9-]{1,32}$/i.test(raw) ? raw.toLowerCase() : undefined);
