/**
 * Store singletons for handlers: each is built on first use from the configured table names, so a
 * function only touches the tables its definition grants (a missing env var fails loudly).
 */
import { tableName } from '../shared/config';
import { dynamoDocumentClient } from './dynamo-client';
import { directoryStore, type DirectoryStore } from './directory';
import { dynamoMembershipStore } from './membership-store';
import { dynamoSetReads, type SetReadStore } from './set-reads';
import { dynamoSetWriter } from './set-writer';
import { dynamoWorkspaceStore } from './workspace-store';
import type { MembershipStore } from '../domain/membership';
import type { WorkspaceStore } from '../domain/ports';

let workspaces: WorkspaceStore | undefined;
let directory: DirectoryStore | undefined;
let membership: (MembershipStore & { counter: { batchGet: number; transactWrite: number; retries: number } }) | undefined;
let reads: SetReadStore | undefined;
let writer: ReturnType<typeof dynamoSetWriter> | undefined;

export const workspaceStore = (): WorkspaceStore => (workspaces ??= dynamoWorkspaceStore(dynamoDocumentClient(), tableName('workspaces')));

export const directoryStoreFor = (): DirectoryStore =>
  (directory ??= directoryStore(dynamoDocumentClient(), { users: tableName('users'), aliases: tableName('aliases') }));

export const membershipStore = () => (membership ??= dynamoMembershipStore(dynamoDocumentClient(), tableName('cohorts')));

/** Reads sets and members (the `SetReads` / `SegmentReads` ports). */
export const setReads = (): SetReadStore => (reads ??= dynamoSetReads(dynamoDocumentClient(), tableName('cohorts')));

/** Creates and renames sets (the `SetWriter` port). */
export const setWriter = () => (writer ??= dynamoSetWriter(dynamoDocumentClient(), tableName('cohorts')));
