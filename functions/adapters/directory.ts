/**
 * The user directory the identity rules work on (domain/directory.ts `DirectoryPort`): the profile
 * store (users table), the claim store (aliases table), and the writes that change both at once.
 */
import { dynamoClaimStore, type DirectoryTables } from './claim-store';
import type { BatchWriteCounter } from './dynamo/batch-write';
import { bumpIdentityVersions, createProfilesWithIdentifiers } from './profile-batches';
import { createProfileWithIdentifiers, putNewProfiles, renameExternalId, type NewProfileRecord } from './profile-claims';
import { dynamoProfileStore } from './profile-store';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DirectoryPort } from '../domain/ports';

export type { DirectoryTables } from './claim-store';

export const directoryStore = (db: DynamoDBDocumentClient, tables: DirectoryTables) =>
  ({
    ...dynamoProfileStore(db, tables.users),
    ...dynamoClaimStore(db, tables),
    createProfileWithIdentifiers: (workspaceId: string, brazeId: string, identity: Parameters<DirectoryPort['createProfileWithIdentifiers']>[2], now: string) =>
      createProfileWithIdentifiers(db, tables, workspaceId, brazeId, identity, now),
    createProfilesWithIdentifiers: (workspaceId: string, identities: Parameters<DirectoryPort['createProfilesWithIdentifiers']>[1], now: string) =>
      createProfilesWithIdentifiers(db, tables, workspaceId, identities, now),
    bumpIdentityVersions: (workspaceId: string, versions: ReadonlyMap<string, number>) => bumpIdentityVersions(db, tables.users, workspaceId, versions),
    renameExternalId: (workspaceId: string, brazeId: string, from: string, to: string, version: number, now: string) =>
      renameExternalId(db, tables, { workspaceId, brazeId, from, to, version, now }),
    /** Bulk load for a first setup (users import): no conditions, see profile-claims.ts. */
    putNewProfiles: (workspaceId: string, records: readonly NewProfileRecord[], now: string, counter?: BatchWriteCounter) =>
      putNewProfiles(db, tables, workspaceId, records, now, counter),
  }) satisfies DirectoryPort & Record<string, unknown>;

export type DirectoryStore = ReturnType<typeof directoryStore>;
