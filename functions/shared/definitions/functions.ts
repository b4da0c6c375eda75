/**
 * One Lambda function per handler module. The CDK service stack creates a `NodejsFunction` for each,
 * wires its routes (routes.ts names the function of each route) or queue, and grants exactly the
 * table and queue access listed here; the local server mounts the same modules on the same routes.
 */
import type { QueueKey } from './queues';
import type { TableKey } from './tables';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
/**
 * A write narrowed to the items a function legitimately touches: only `actions`, only on items whose
 * partition key matches one of `leadingKeys` (IAM `dynamodb:LeadingKeys`, StringLike: `*` = any
 * characters), plus the table's read actions when `reads` is set. Internet-facing functions use it
 * so that a compromised one can neither create nor delete credential items (docs/operations.md).
 */
export interface ScopedWrite {
  readonly reads: boolean;
  readonly actions: readonly ('UpdateItem' | 'PutItem' | 'DeleteItem')[];
  readonly leadingKeys: readonly string[];
}
export type Access = 'read' | 'write' | ScopedWrite;

/** The `purpose` of a secret's KMS encryption context (`{ workspaceId, purpose }`), see adapters/secret-box.ts. */
export type SecretPurpose = 'heapWebhookSecret' | 'abTastyClientSecret' | 'brazeApiKey' | 'signingKey' | 'changeWebhookSecret';

export interface FunctionDefinition {
  /** Path of the handler module from the repository root; its export is `handler`. */
  readonly entry: string;
  readonly description: string;
  /** The queue this function consumes as an SQS event source, if it is a worker. */
  readonly consumes?: QueueKey;
  readonly sendsTo: readonly QueueKey[];
  /** The table whose DynamoDB stream this function consumes (event source in AWS, a stream poller locally). */
  readonly streamsFrom?: TableKey;
  /** Publishes change events on the stack's EventBridge bus (`events:PutEvents` on that bus only; docs/events.md). */
  readonly publishesChangeEvents?: boolean;
  /** Writes the Currents archive (`s3:PutObject` on `currents/*` of the archive bucket only; docs/currents.md "Full history"). */
  readonly archivesEvents?: boolean;
  /** Queues whose attributes it reads (health checks), without sending or receiving. */
  readonly inspectsQueues?: readonly QueueKey[];
  /** Also reads the depth of those queues' dead-letter queues (GetQueueUrl + GetQueueAttributes). */
  readonly inspectsDlqs?: boolean;
  readonly tables: Partial<Record<TableKey, Access>>;
  /** Tables it may Scan (granted on the table only): listing every workspace for the AB Tasty refresh. */
  readonly scansTables?: readonly TableKey[];
  /** The secrets it decrypts (KMS in AWS): its kms:Decrypt grant is conditioned on these encryption-context purposes. */
  readonly decryptsSecrets?: readonly SecretPurpose[];
  /** May write the workspaces table's credential items (`CRED#…`); every other writer is denied them (lib/constructs/hub-function.ts). */
  readonly writesCredentials?: boolean;
  /** Ships the built web console next to its bundle (scripts/console/build.ts, run at bundling time). */
  readonly consoleAssets?: boolean;
  readonly timeoutSeconds?: number;
  readonly memoryMb?: number;
}

export const FUNCTIONS = {
  health: {
    entry: 'functions/handlers/health.ts',
    description: 'Reports whether the hub can reach its tables and queues',
    sendsTo: [],
    inspectsQueues: ['cohortImport', 'currents', 'heapSync', 'abTastyDelivery', 'brazeExport', 'changeWebhook'],
    tables: { workspaces: 'read' },
  },
  cohortIngest: {
    entry: 'functions/handlers/cohort-ingest.ts',
    description: 'Braze-compatible partner cohort import: authenticates, validates and queues cohort upserts and membership deltas',
    sendsTo: ['cohortImport'],
    // workspaces: credential lookup, and pinning a partner key on first use ("pin" policy: UpdateItem of `WS#<id>`);
    // idempotency: the per-workspace rate-limit counter (`rate#…`) and the connection log (`CONN#…`), never Powertools' records.
    tables: {
      workspaces: { reads: true, actions: ['UpdateItem'], leadingKeys: ['WS#*'] },
      idempotency: { reads: false, actions: ['UpdateItem'], leadingKeys: ['rate#*', 'CONN#*'] },
    },
    // The workspace's signing key (import ids).
    decryptsSecrets: ['signingKey'],
  },
  cohortWorker: {
    entry: 'functions/handlers/cohort-worker.ts',
    description: 'Matches imported identifiers to existing profiles, applies cohort membership deltas and writes import reports',
    consumes: 'cohortImport',
    sendsTo: [],
    // history: the per-identifier decision log (adapters/decision-log.ts).
    tables: { users: 'read', aliases: 'read', cohorts: 'write', workspaces: 'write', idempotency: 'write', history: 'write' },
  },
  readApi: {
    entry: 'functions/handlers/read-api.ts',
    description: 'Read API: cohorts, cohort members, import reports, user profiles with their cohorts and Heap segments, and AB Tasty delivery reports',
    sendsTo: [],
    tables: { workspaces: 'read', users: 'read', aliases: 'read', cohorts: 'read', deliveries: 'read' },
    // The workspace's signing key (cursors, import ids).
    decryptsSecrets: ['signingKey'],
  },
  heapWebhook: {
    entry: 'functions/handlers/heap-webhook.ts',
    description: 'Receives Heap segment-sync webhooks, verifies Heap-Hash and queues each page',
    sendsTo: ['heapSync'],
    // workspaces: records the Heap id_tokens seen on verified requests (UpdateItem of `WS#<id>`);
    // idempotency: first receive time of each sync page (`heappage#…`) and the connection log (`CONN#…`); events: the Heap rejects (`<ws>#HEAPREJECTS`).
    tables: {
      workspaces: { reads: true, actions: ['UpdateItem'], leadingKeys: ['WS#*'] },
      idempotency: { reads: false, actions: ['UpdateItem'], leadingKeys: ['heappage#*', 'CONN#*'] },
      events: { reads: false, actions: ['PutItem'], leadingKeys: ['*#HEAPREJECTS'] },
    },
    decryptsSecrets: ['heapWebhookSecret'],
  },
  heapWorker: {
    entry: 'functions/handlers/heap-worker.ts',
    description: 'Applies queued Heap segment pages and drains to segment membership',
    consumes: 'heapSync',
    // sendsTo: a drain of a very large segment continues in a follow-up message; applied changes request an AB Tasty push.
    sendsTo: ['heapSync', 'abTastyDelivery'],
    tables: { cohorts: 'write', idempotency: 'write' },
  },
  abTastyApi: {
    entry: 'functions/handlers/abtasty-api.ts',
    description: 'AB Tasty pull API: Heap segments, a visitor\'s segments, members and UDC CSV',
    sendsTo: [],
    tables: { workspaces: 'read', cohorts: 'read' },
    // The workspace's signing key (cursors).
    decryptsSecrets: ['signingKey'],
  },
  currentsIngest: {
    entry: 'functions/handlers/currents-ingest.ts',
    description: 'Receives Braze Currents batches (Custom HTTP connector) and queues them whole',
    sendsTo: ['currents'],
    // idempotency: the connection log (`CONN#…`: last accepted and refused request, for the console).
    tables: { workspaces: 'read', idempotency: { reads: false, actions: ['UpdateItem'], leadingKeys: ['CONN#*'] } },
  },
  segmentIngest: {
    entry: 'functions/handlers/segment-ingest.ts',
    description: "Receives Segment Engage audience events (Webhooks (Actions) destination) and queues them as cohort import messages",
    sendsTo: ['cohortImport'],
    // idempotency: the connection log (`CONN#…`: last accepted and refused request, for the console).
    tables: { workspaces: 'read', idempotency: { reads: false, actions: ['UpdateItem'], leadingKeys: ['CONN#*'] } },
    // The workspace's signing key (import ids).
    decryptsSecrets: ['signingKey'],
  },
  currentsWorker: {
    entry: 'functions/handlers/currents-worker.ts',
    description: 'Stores Currents events and rejects, and builds the user directory from them',
    consumes: 'currents',
    sendsTo: [],
    archivesEvents: true,
    // history: a deleted user's membership history is forgotten.
    tables: { users: 'write', aliases: 'write', cohorts: 'write', events: 'write', idempotency: 'write', history: 'write' },
  },
  identityApi: {
    entry: 'functions/handlers/identity-api.ts',
    description: 'Braze-shaped alias management: /users/alias/new and /users/identify',
    sendsTo: [],
    tables: { workspaces: 'read', users: 'write', aliases: 'write', cohorts: 'write' },
  },
  eventsApi: {
    entry: 'functions/handlers/events-api.ts',
    description: "Reads stored Currents events (by user, by type) and the Currents rejects store",
    sendsTo: [],
    tables: { workspaces: 'read', events: 'read' },
    // The workspace's signing key (cursors).
    decryptsSecrets: ['signingKey'],
  },
  abTastyWorker: {
    entry: 'functions/handlers/abtasty-worker.ts',
    description: "Pushes a workspace's Heap segments to AB Tasty's Universal Data Connector, one push per partner at a time",
    consumes: 'abTastyDelivery',
    // sendsTo: the daily refresh fans out one push request per workspace, and a push asks for a follow-up.
    sendsTo: ['abTastyDelivery'],
    // idempotency: processed messages, and the per-partner lease and coverage item.
    tables: { workspaces: 'read', cohorts: 'read', idempotency: 'write', deliveries: 'write' },
    scansTables: ['workspaces'],
    decryptsSecrets: ['abTastyClientSecret'],
  },
  brazeExportWorker: {
    entry: 'functions/handlers/braze-export-worker.ts',
    description: "Applies Braze's user export files (import bucket objects and download URLs) to the user directory",
    consumes: 'brazeExport',
    // sendsTo: a download that is not ready yet comes back later. Reads the import bucket (lib/service-stack.ts).
    sendsTo: ['brazeExport'],
    // cohorts: a merge moves cohort memberships, and the import reports live there.
    tables: { users: 'write', aliases: 'write', cohorts: 'write', workspaces: 'read', idempotency: 'write' },
    memoryMb: 1024,
  },
  brazeExportRequester: {
    entry: 'functions/handlers/braze-export-requester.ts',
    description: 'Asks Braze for the user export of every workspace whose period is up (EventBridge Scheduler)',
    sendsTo: ['brazeExport'],
    // write: the registry item records each run.
    tables: { workspaces: 'write' },
    decryptsSecrets: ['brazeApiKey'],
    timeoutSeconds: 120,
  },
  console: {
    entry: 'functions/handlers/console.ts',
    description: 'The web console: its page and static assets (no data: the page reads the public API)',
    sendsTo: [],
    tables: {},
    consoleAssets: true,
  },
  consoleAdmin: {
    entry: 'functions/handlers/console-admin.ts',
    description: "The web console's changing actions (credential rotation), authenticated with the workspace's consoleAdminKey; the one function allowed to write credential items",
    sendsTo: [],
    // A rotation is one transaction: put the new credential index entry (`CRED#…`), delete the old
    // one (or keep it for the grace), update the workspace record (`WS#…`). Nothing else.
    tables: { workspaces: { reads: true, actions: ['PutItem', 'DeleteItem', 'UpdateItem'], leadingKeys: ['CRED#*', 'WS#*'] } },
    writesCredentials: true,
  },
  opsApi: {
    entry: 'functions/handlers/ops-api.ts',
    description: "Operations reads for the console (apiKey): the workspace's connections, queue and DLQ depths",
    sendsTo: [],
    inspectsQueues: ['cohortImport', 'currents', 'heapSync', 'abTastyDelivery', 'brazeExport', 'changeWebhook'],
    inspectsDlqs: true,
    // idempotency: the connection log (last accepted and refused request per connection).
    tables: { workspaces: 'read', idempotency: 'read' },
  },
  traceApi: {
    entry: 'functions/handlers/trace-api.ts',
    description: 'Trace API: a member\'s membership history, and why an identifier is (not) in a cohort or segment',
    sendsTo: [],
    tables: { workspaces: 'read', users: 'read', aliases: 'read', cohorts: 'read', history: 'read' },
    // The workspace's signing key (cursors).
    decryptsSecrets: ['signingKey'],
  },
  membershipHistory: {
    entry: 'functions/handlers/membership-history.ts',
    description: "Records every applied membership flip from the cohorts table's stream into the membership history and publishes it as a change event (and to the workspace's change webhook queue)",
    streamsFrom: 'cohorts',
    publishesChangeEvents: true,
    // changeWebhook: the flips of workspaces with a change webhook (docs/events.md); workspaces: which ones have one.
    sendsTo: ['changeWebhook'],
    // users: the external ids of profile members, for the change events.
    tables: { history: 'write', users: 'read', workspaces: 'read' },
    timeoutSeconds: 60,
  },
  changeWebhookWorker: {
    entry: 'functions/handlers/change-webhook-worker.ts',
    description: "POSTs signed batches of membership changes to each workspace's change webhook, in order per member (FIFO), and records each POST",
    consumes: 'changeWebhook',
    sendsTo: [],
    // workspaces: the webhook's URL and secret; deliveries: one report item per POST (`<ws>#WHK`), nothing else.
    tables: { workspaces: 'read', deliveries: { reads: false, actions: ['PutItem'], leadingKeys: ['*#WHK'] } },
    decryptsSecrets: ['changeWebhookSecret'],
  },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionKey = keyof typeof FUNCTIONS;

export const functionDefinitions = (): [FunctionKey, FunctionDefinition][] =>
  Object.entries(FUNCTIONS) as [FunctionKey, FunctionDefinition][];
