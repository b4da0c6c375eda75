/** Ports of the user directory: profiles and identifier claims (users and aliases tables). */
import type { Claim, Profile } from '../../schemas/directory';
import type { Identifier } from '../identifiers';
import type { MemberKind } from '../membership';
import type { MembershipStore } from './sets';

export type ClaimOutcome = 'claimed' | 'held-by-other' | 'label-taken' | 'external-id-differs' | 'no-profile';
export type RenameOutcome = 'renamed' | 'stale' | 'held-by-other';
export type MoveOutcome = 'moved' | 'label-taken' | 'not-owner' | 'no-target';
/** A new profile's identity: what `createProfileWithIdentifiers` writes with it. */
export interface NewIdentity {
  readonly externalId?: string;
  readonly deviceIds: readonly string[];
  readonly identityVersion: number;
}
/** `created`; `exists` (with the profile found, when known); `conflict`: another profile holds one of the identifiers. */
export type CreateOutcome = 'created' | 'exists' | 'conflict' | { readonly exists: Profile };

/** What the directory rules (domain/directory.ts) need from the directory tables (implemented by adapters/directory.ts). */
export interface DirectoryPort {
  createProfile(workspaceId: string, brazeId: string, now: string): Promise<boolean>;
  getProfile(workspaceId: string, brazeId: string): Promise<Profile | undefined>;
  createProfileWithIdentifiers(
    workspaceId: string,
    brazeId: string,
    identity: NewIdentity,
    now: string,
  ): Promise<CreateOutcome>;
  /**
   * `createProfileWithIdentifiers` for many braze ids in few requests (their identifiers must all
   * differ). A braze id absent from the result was not decided (contention): create it alone.
   */
  createProfilesWithIdentifiers(workspaceId: string, identities: ReadonlyMap<string, NewIdentity>, now: string): Promise<Map<string, CreateOutcome>>;
  getProfiles(workspaceId: string, brazeIds: readonly string[]): Promise<Map<string, Profile>>;
  claim(workspaceId: string, brazeId: string, identifier: Identifier, now: string): Promise<ClaimOutcome>;
  resolveClaims(workspaceId: string, keys: readonly string[]): Promise<Map<string, Claim>>;
  bumpIdentityVersion(workspaceId: string, brazeId: string, version: number): Promise<void>;
  /** `bumpIdentityVersion` for many profiles in few requests (one braze id once). */
  bumpIdentityVersions(workspaceId: string, versions: ReadonlyMap<string, number>): Promise<void>;
  renameExternalId(workspaceId: string, brazeId: string, from: string, to: string, version: number, now: string): Promise<RenameOutcome>;
  markClaimsIdentified(workspaceId: string, brazeId: string): Promise<number>;
  claimsOf(workspaceId: string, brazeId: string): Promise<Claim[]>;
  moveClaim(workspaceId: string, key: string, from: string, to: string, now: string): Promise<MoveOutcome>;
  dropClaim(workspaceId: string, key: string, owner: string): Promise<void>;
  markMerged(workspaceId: string, orphan: string, survivor: string, now: string): Promise<boolean>;
  tombstone(workspaceId: string, brazeId: string, version: number, now: string): Promise<void>;
}

/** What the directory rules need from the membership engine (cohort memberships move on merge, go on delete). */
export interface MembershipPort {
  apply: MembershipStore['apply'];
  setsOfMember(workspaceId: string, memberKind: MemberKind, memberId: string, kind: 'cohort'): Promise<{ setId: string }[]>;
}

/** Claim lookups by identifier key (cohort matching, the read API). */
export interface ClaimResolver {
  resolveClaims(workspaceId: string, keys: readonly string[]): Promise<Map<string, Claim>>;
}

export interface ProfileReader {
  /** Profiles by braze id (missing ids are absent from the map). */
  getProfiles(workspaceId: string, brazeIds: readonly string[]): Promise<Map<string, Profile>>;
}
