/* eslint-disable @typescript-eslint/require-await -- in-memory fakes of async ports */
/**
 * In-memory DirectoryPort and MembershipPort with the same rules as the DynamoDB adapters (claims
 * unique, one alias per label, writes only on live profiles, device claims marked by owner state).
 */
import { identifierKey, type Identifier } from '../../../functions/domain/identifiers';
import { ownValue } from '../../../functions/shared/own';
import type { ClaimOutcome, DirectoryPort, MembershipPort, MoveOutcome, RenameOutcome } from '../../../functions/domain/directory';
import { decide, type ApplyResult, type MembershipChange, type MemberKind, type SetRef } from '../../../functions/domain/membership';
import { isIdentified, isLive, newProfile, type Claim, type Profile } from '../../../functions/schemas/directory';

const fromKey = (key: string): Identifier => {
  const [kind, a, b] = key.split('#') as [string, string, string | undefined];
  if (kind === 'ext') return { kind: 'external_id', value: a };
  if (kind === 'dev') return { kind: 'device_id', value: a };
  return { kind: 'alias', label: a, name: b ?? '' };
};

export class FakeDirectory implements DirectoryPort {
  readonly profiles = new Map<string, Profile>();
  readonly claims = new Map<string, Claim>();
  calls = 0;

  private id = (ws: string, x: string) => `${ws}#${x}`;

  profile(ws: string, brazeId: string): Profile | undefined {
    return this.profiles.get(this.id(ws, brazeId));
  }

  claimOf(ws: string, identifier: Identifier): Claim | undefined {
    return this.claims.get(this.id(ws, identifierKey(identifier)));
  }

  async createProfile(ws: string, brazeId: string, now: string) {
    this.calls += 1;
    if (this.profiles.has(this.id(ws, brazeId))) return false;
    this.profiles.set(this.id(ws, brazeId), newProfile(ws, brazeId, now));
    return true;
  }

  async createProfileWithIdentifiers(ws: string, brazeId: string, identity: { externalId?: string; deviceIds: readonly string[]; identityVersion: number }, now: string) {
    this.calls += 1;
    if (this.profiles.has(this.id(ws, brazeId))) return 'exists' as const;
    const keys = [
      ...(identity.externalId !== undefined ? [identifierKey({ kind: 'external_id', value: identity.externalId })] : []),
      ...identity.deviceIds.map((value) => identifierKey({ kind: 'device_id', value })),
    ];
    if (keys.some((key) => this.claims.has(this.id(ws, key)))) return 'conflict' as const;
    this.profiles.set(this.id(ws, brazeId), newProfile(ws, brazeId, now, identity));
    for (const key of keys) this.claims.set(this.id(ws, key), { workspaceId: ws, key, profileId: brazeId, ownerIdentified: identity.externalId !== undefined, claimedAt: now });
    return 'created' as const;
  }

  async getProfile(ws: string, brazeId: string) {
    this.calls += 1;
    const profile = this.profile(ws, brazeId);
    return profile ? structuredClone(profile) : undefined;
  }

  async getProfiles(ws: string, ids: readonly string[]) {
    this.calls += 1;
    const found = new Map<string, Profile>();
    for (const id of ids) {
      const profile = this.profile(ws, id);
      if (profile) found.set(id, structuredClone(profile));
    }
    return found;
  }

  private record(profile: Profile, identifier: Identifier): boolean {
    if (identifier.kind === 'alias') {
      const current = ownValue(profile.aliases, identifier.label);
      if (current !== undefined && current !== identifier.name) return false;
      profile.aliases[identifier.label] = identifier.name;
    } else if (identifier.kind === 'external_id') {
      if (profile.externalId !== undefined && profile.externalId !== identifier.value) return false;
      profile.externalId = identifier.value;
    } else if (!profile.deviceIds.includes(identifier.value)) profile.deviceIds.push(identifier.value);
    return true;
  }

  async claim(ws: string, brazeId: string, identifier: Identifier, now: string): Promise<ClaimOutcome> {
    this.calls += 1;
    const profile = this.profile(ws, brazeId);
    if (!profile || !isLive(profile)) return 'no-profile';
    const key = identifierKey(identifier);
    const existing = this.claims.get(this.id(ws, key));
    if (existing && existing.profileId !== brazeId) return 'held-by-other';
    const draft = structuredClone(profile);
    if (!this.record(draft, identifier)) return identifier.kind === 'alias' ? 'label-taken' : 'external-id-differs';
    this.profiles.set(this.id(ws, brazeId), draft);
    this.claims.set(this.id(ws, key), { workspaceId: ws, key, profileId: brazeId, ownerIdentified: isIdentified(profile) || identifier.kind === 'external_id', claimedAt: now });
    return 'claimed';
  }

  async resolveClaims(ws: string, keys: readonly string[]) {
    this.calls += 1;
    const found = new Map<string, Claim>();
    for (const key of keys) {
      const claim = this.claims.get(this.id(ws, key));
      if (claim) found.set(key, { ...claim });
    }
    return found;
  }

  async bumpIdentityVersion(ws: string, brazeId: string, version: number) {
    this.calls += 1;
    const profile = this.profile(ws, brazeId);
    if (profile && isLive(profile) && profile.identityVersion < version) profile.identityVersion = version;
  }

  async renameExternalId(ws: string, brazeId: string, from: string, to: string, version: number, now: string): Promise<RenameOutcome> {
    this.calls += 1;
    const newKey = identifierKey({ kind: 'external_id', value: to });
    const holder = this.claims.get(this.id(ws, newKey));
    if (holder && holder.profileId !== brazeId) return 'held-by-other';
    const profile = this.profile(ws, brazeId);
    if (!profile || !isLive(profile) || profile.externalId !== from || profile.identityVersion >= version) return 'stale';
    this.claims.delete(this.id(ws, identifierKey({ kind: 'external_id', value: from })));
    this.claims.set(this.id(ws, newKey), { workspaceId: ws, key: newKey, profileId: brazeId, ownerIdentified: true, claimedAt: now });
    profile.externalId = to;
    profile.identityVersion = version;
    return 'renamed';
  }

  async markClaimsIdentified(ws: string, brazeId: string) {
    this.calls += 1;
    let marked = 0;
    for (const claim of this.claims.values()) {
      if (claim.workspaceId === ws && claim.profileId === brazeId && !claim.ownerIdentified) {
        claim.ownerIdentified = true;
        marked += 1;
      }
    }
    return marked;
  }

  async claimsOf(ws: string, brazeId: string) {
    this.calls += 1;
    return [...this.claims.values()].filter((claim) => claim.workspaceId === ws && claim.profileId === brazeId).map((claim) => ({ ...claim }));
  }

  async moveClaim(ws: string, key: string, from: string, to: string, now: string): Promise<MoveOutcome> {
    this.calls += 1;
    const claim = this.claims.get(this.id(ws, key));
    if (!claim || claim.profileId !== from) return 'not-owner';
    const target = this.profile(ws, to);
    if (!target || !isLive(target)) return 'no-target';
    const identifier = fromKey(key);
    const draft = structuredClone(target);
    if (!this.record(draft, identifier)) return 'label-taken';
    this.profiles.set(this.id(ws, to), draft);
    this.claims.set(this.id(ws, key), { ...claim, profileId: to, ownerIdentified: isIdentified(target) || identifier.kind === 'external_id', claimedAt: now });
    return 'moved';
  }

  async dropClaim(ws: string, key: string, owner: string) {
    this.calls += 1;
    if (this.claims.get(this.id(ws, key))?.profileId === owner) this.claims.delete(this.id(ws, key));
  }

  async markMerged(ws: string, orphan: string, survivor: string, now: string) {
    this.calls += 1;
    const profile = this.profile(ws, orphan);
    if (!profile) {
      this.profiles.set(this.id(ws, orphan), newProfile(ws, orphan, now, { mergedInto: survivor }));
      return true;
    }
    if (profile.deletedAt !== undefined || (profile.mergedInto !== undefined && profile.mergedInto !== survivor)) return false;
    profile.mergedInto = survivor;
    return true;
  }

  async tombstone(ws: string, brazeId: string, version: number, now: string) {
    this.calls += 1;
    this.profiles.set(this.id(ws, brazeId), newProfile(ws, brazeId, now, { deletedAt: now, identityVersion: version }));
  }
}

/** Members per set with versions, using the real `decide` rule. */
export class FakeMembership implements MembershipPort {
  readonly members = new Map<string, Map<string, { status: 'member' | 'removed'; version: string }>>();

  private setKey = (set: SetRef) => `${set.workspaceId}#${set.kind}#${set.setId}`;

  add(set: SetRef, memberId: string, version = '0') {
    const members = this.members.get(this.setKey(set)) ?? new Map();
    members.set(memberId, { status: 'member', version });
    this.members.set(this.setKey(set), members);
  }

  isMember(set: SetRef, memberId: string): boolean {
    return this.members.get(this.setKey(set))?.get(memberId)?.status === 'member';
  }

  async apply(set: SetRef, _kind: MemberKind, changes: readonly MembershipChange[], version: string): Promise<ApplyResult> {
    const members = this.members.get(this.setKey(set)) ?? new Map();
    this.members.set(this.setKey(set), members);
    const result: ApplyResult = { added: 0, removed: 0, unchanged: 0, stale: 0 };
    for (const change of changes) {
      const decision = decide(members.get(change.memberId), change.op, version);
      if (decision === 'stale') result.stale += 1;
      else {
        if (decision === 'add') result.added += 1;
        else if (decision === 'remove') result.removed += 1;
        else result.unchanged += 1;
        members.set(change.memberId, { status: change.op === 'add' ? 'member' : 'removed', version });
      }
    }
    return result;
  }

  async setsOfMember(ws: string, _kind: MemberKind, memberId: string) {
    const sets: { setId: string }[] = [];
    for (const [key, members] of this.members) {
      const [setWs, kind, setId] = key.split('#') as [string, string, string];
      if (setWs === ws && kind === 'cohort' && members.get(memberId)?.status === 'member') sets.push({ setId });
    }
    return sets;
  }
}
