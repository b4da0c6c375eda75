/** Ports of the user directory: profiles and identifier claims (users and aliases tables). */
import type { Claim, Profile } from '../../schemas/directory';
import type { Identifier } from '../identifiers';
import type { MemberKind } from '../membership';
import type { MembershipStore } from './sets';

export type ClaimOutcome = 'claimed' | 'held-by-other' | 'label-taken' | 'external-id-differs' | 'no-profile';
export type RenameOutcome = 'renamed' | 'stale' | 'held-by-other';
export type MoveOutcome = 'moved' | 'label-taken' | 'not-owner' | 'no-target';

/** What the directory rules (domain/directory.ts) need from the directory tables (implemented by adapters/directory.ts). */
export interface DirectoryPort {
  createProfile(workspaceId: string, brazeId: string, now: string): Promise<boolean>;
  getProfile(workspaceId: string, brazeId: string): Promise<Profile | undefined>;
  createProfileWithIdentifiers(
    workspaceId: string,
    brazeId: string,
    identity: { externalId?: string; deviceIds: readonly string[]; identityVersion: number },
    now: string,
  ): Promise<'created' | 'exists' | 'conflict' | { readonly exists: Profile }>;
  getProfiles(workspaceId: string, brazeIds: readonly string[]): Promise<Map<string, Profile>>;
  claim(workspaceId: string, brazeId: string, identifier: Identifier, now: string): Promise<ClaimOutcome>;
  resolveClaims(workspaceId: string, keys: readonly string[]): Promise<Map<string, Claim>>;
  bumpIdentityVersion(workspaceId: string, brazeId: string, version: number): Promise<void>;
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
