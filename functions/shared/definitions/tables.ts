/**
 * The DynamoDB tables of the hub, defined once and read by both the CDK stateful stack and the
 * local stack. Every key attribute is a string; every partition key starts with the workspace id
 * (except the credential index in `workspaces`, which is keyed by a credential hash on purpose).
 */
export interface GsiDefinition {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

export interface TableDefinition {
  /** Logical name, also the suffix of the physical table name. */
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly gsis: readonly GsiDefinition[];
  /** Attribute holding an epoch-seconds expiry, if items expire. */
  readonly ttlAttribute?: string;
  /** Env var through which functions learn the physical name. */
  readonly envVar: string;
  /** A DynamoDB stream of the table's item changes, read by a function (`streamsFrom` in functions.ts). */
  readonly stream?: 'NEW_AND_OLD_IMAGES';
}

export const TABLES = {
  workspaces: {
    name: 'workspaces',
    partitionKey: 'pk',
    sortKey: 'sk',
    gsis: [],
    envVar: 'TABLE_WORKSPACES',
  },
  users: {
    name: 'users',
    partitionKey: 'pk',
    sortKey: 'sk',
    gsis: [],
    envVar: 'TABLE_USERS',
  },
  aliases: {
    name: 'aliases',
    partitionKey: 'pk',
    sortKey: 'sk',
    gsis: [{ indexName: 'byProfile', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }],
    envVar: 'TABLE_ALIASES',
  },
  cohorts: {
    name: 'cohorts',
    partitionKey: 'pk',
    sortKey: 'sk',
    // Sparse indexes: only current members carry gsi1pk/gsi2pk, so "cohorts of a profile",
    // "segments of a visitor" and "members of a set" are each one Query that never sees tombstones.
    gsis: [
      { indexName: 'byMember', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
      { indexName: 'bySet', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    ],
    envVar: 'TABLE_COHORTS',
    // The membership history consumer (functions/handlers/membership-history.ts) derives flips from old and new member images.
    stream: 'NEW_AND_OLD_IMAGES',
  },
  events: {
    name: 'events',
    partitionKey: 'pk',
    sortKey: 'sk',
    gsis: [{ indexName: 'byType', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }],
    ttlAttribute: 'expiresAt',
    envVar: 'TABLE_EVENTS',
  },
  deliveries: {
    // AB Tasty delivery reports (adapters/delivery-reports.ts): per workspace and per Heap segment, newest first.
    name: 'deliveries',
    partitionKey: 'pk',
    sortKey: 'sk',
    gsis: [],
    ttlAttribute: 'expiresAt',
    envVar: 'TABLE_DELIVERIES',
  },
  history: {
    // Membership history (applied flips) and the per-identifier decision log (adapters/history-store.ts).
    // byMember: every history and trace item of one member, for a user's deletion.
    name: 'history',
    partitionKey: 'pk',
    sortKey: 'sk',
    gsis: [{ indexName: 'byMember', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }],
    ttlAttribute: 'expiresAt',
    envVar: 'TABLE_HISTORY',
  },
  idempotency: {
    // Powertools idempotency layout: partition key `id`, expiry in `expiration`.
    name: 'idempotency',
    partitionKey: 'id',
    gsis: [],
    ttlAttribute: 'expiration',
    envVar: 'TABLE_IDEMPOTENCY',
  },
} as const satisfies Record<string, TableDefinition>;

export type TableKey = keyof typeof TABLES;

/** Physical table name for a stage prefix, e.g. `hub-dev-users`. */
export const physicalTableName = (prefix: string, table: TableKey): string => `${prefix}-${TABLES[table].name}`;

/**
 * The tables analysts get (the daily S3 export and `npm run export`): data only. Never `workspaces`
 * (credential hashes and index, encrypted secrets, settings) nor `idempotency` (processing records).
 */
export const ANALYST_EXPORT_TABLES = ['users', 'aliases', 'cohorts', 'events', 'deliveries'] as const satisfies readonly TableKey[];
