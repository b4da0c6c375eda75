/**
 * Store singletons for handlers: each is built on first use from the configured table names, so a
 * function only touches the tables its definition grants (a missing env var fails loudly).
 */
import { tableName } from '../shared/config';
import { dynamoDocumentClient } from './dynamo-client';
import { directoryStore, type DirectoryStore } from './directory';
import { dynamoMembershipStore, membershipReads, type MembershipReads } from './membership-store';
import { dynamoWorkspaceStore } from './workspace-store';
import type { MembershipStore } from '../domain/membership';
import type { WorkspaceStore } from '../domain/ports';

let workspaces: WorkspaceStore | undefined;
let directory: DirectoryStore | undefined;
let membership: (MembershipStore & { counter: { batchGet: number; transactWrite: number; retries: number } }) | undefined;
let reads: MembershipReads | undefined;

export const workspaceStore = (): WorkspaceStore => (workspaces ??= dynamoWorkspaceStore(dynamoDocumentClient(), tableName('workspaces')));

export const directoryStoreFor = (): DirectoryStore =>
  (directory ??= directoryStore(dynamoDocumentClient(), { users: tableName('users'), aliases: tableName('aliases') }));

export const membershipStore = () => (membership ??= dynamoMembershipStore(dynamoDocumentClient(), tableName('cohorts')));

export const membershipReadStore = (): MembershipReads => (reads ??= membershipReads(dynamoDocumentClient(), tableName('cohorts')));
