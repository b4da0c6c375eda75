/* eslint-disable @typescript-eslint/require-await -- in-memory fakes of async ports */
/**
 * In-memory DirectoryPort (and so ClaimResolver and ProfileReader) with the same rules as the
 * DynamoDB adapter (claims unique, one alias per label, writes only on live profiles, device claims
 * marked by owner state). `seedProfile` / `seedClaim` store items as they are, without the rules.
 */
import { identifierKey, type Identifier } from '../../../functions/domain/identifiers';
import { ownValue } from '../../../functions/shared/own';
import { isIdentified, isLive, newProfile, type Claim, type Profile } from '../../../functions/schemas/directory';
import type { ClaimOutcome, CreateOutcome, DirectoryPort, MoveOutcome, NewIdentity, RenameOutcome } from '../../../functions/domain/ports';

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

  /** Stores a profile as given (defaults: anonymous, no identifiers). */
  seedProfile(ws: string, brazeId: string, fields: Partial<Profile> = {}) {
    this.profiles.set(this.id(ws, brazeId), { ...newProfile(ws, brazeId, 'x'), ...fields });
  }

  /** Stores a claim as given, `key` being an identifier key (`ext#…`, `dev#…`, `alias#…#…`). */
  seedClaim(ws: string, key: string, profileId: string, ownerIdentified = false) {
    this.claims.set(this.id(ws, key), { workspaceId: ws, key, profileId, ownerIdentified, claimedAt: 'x' });
  }

  async createProfile(ws: string, brazeId: string, now: string) {
    this.calls += 1;
    if (this.profiles.has(this.id(ws, brazeId))) return false;
    this.profiles.set(this.id(ws, brazeId), newProfile(ws, brazeId, now));
    return true;
  }

  async createProfileWithIdentifiers(ws: string, brazeId: string, identity: NewIdentity, now: string) {
    this.calls += 1;
    return this.createOne(ws, brazeId, identity, now);
  }

  /** Batched creates: one call; a profile found in place comes back, as DynamoDB's cancellation reason gives it. */
  async createProfilesWithIdentifiers(ws: string, identities: ReadonlyMap<string, NewIdentity>, now: string) {
    this.calls += 1;
    const outcomes = new Map<string, CreateOutcome>();
    for (const [brazeId, identity] of identities) {
      const outcome = this.createOne(ws, brazeId, identity, now);
      const found = this.profile(ws, brazeId);
      outcomes.set(brazeId, outcome === 'exists' && found ? { exists: structuredClone(found) } : outcome);
    }
    return outcomes;
  }

  private createOne(ws: string, brazeId: string, identity: NewIdentity, now: string) {
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

  /** Batched confirmations: one call. */
  async bumpIdentityVersions(ws: string, versions: ReadonlyMap<string, number>) {
    this.calls += 1;
    for (const [brazeId, version] of versions) {
      const profile = this.profile(ws, brazeId);
      if (profile && isLive(profile) && profile.identityVersion < version) profile.identityVersion = version;
    }
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

/**
 * The cohort-matching fixture: an anonymous profile with a device id, and an identified profile
 * with external id, alias and the device id it had while anonymous (claims flagged ownerIdentified).
 */
export const seedAnonAndKnown = (directory: FakeDirectory): void => {
  directory.seedProfile('ws1', 'anon', { deviceIds: ['dev-anon'] });
  directory.seedClaim('ws1', 'dev#dev-anon', 'anon');
  directory.seedProfile('ws1', 'known', { externalId: 'user-1', aliases: { email: 'k@x.io' }, deviceIds: ['dev-old'] });
  directory.seedClaim('ws1', 'ext#user-1', 'known', true);
  directory.seedClaim('ws1', 'alias#email#k@x.io', 'known', true);
  directory.seedClaim('ws1', 'dev#dev-old', 'known', true);
};
