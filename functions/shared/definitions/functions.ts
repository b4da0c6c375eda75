/**
 * One Lambda function per handler module. The CDK service stack creates a `NodejsFunction` for each,
 * wires its routes or queue, and grants exactly the table and queue access listed here; the local
 * server mounts the same modules on the same routes.
 */
import type { QueueKey } from './queues';
import type { TableKey } from './tables';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type Access = 'read' | 'write';

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** API Gateway style path, e.g. `/partners/{partner}/cohorts`. */
  readonly path: string;
}

export interface FunctionDefinition {
  /** Path of the handler module from the repository root; its export is `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly routes: readonly RouteDefinition[];
  /** The queue this function consumes as an SQS event source, if it is a worker. */
  readonly consumes?: QueueKey;
  readonly sendsTo: readonly QueueKey[];
  /** Queues whose attributes it reads (health checks), without sending or receiving. */
  readonly inspectsQueues?: readonly QueueKey[];
  readonly tables: Partial<Record<TableKey, Access>>;
  /** Needs to decrypt workspace webhook secrets (KMS in AWS). */
  readonly decryptsSecrets?: boolean;
  readonly timeoutSeconds?: number;
  readonly memoryMb?: number;
}

export const FUNCTIONS = {
  health: {
    entry: 'functions/handlers/health.ts',
    description: 'Reports whether the hub can reach its tables and queues',
    routes: [{ method: 'GET', path: '/health' }],
    sendsTo: [],
    inspectsQueues: ['cohortImport', 'currents', 'heapSync'],
    tables: { workspaces: 'read' },
  },
  cohortIngest: {
    entry: 'functions/handlers/cohort-ingest.ts',
    description: 'Braze-compatible partner cohort import: authenticates, validates and queues cohort upserts and membership deltas',
    routes: [
      { method: 'POST', path: '/partners/{partner}/cohorts' },
      { method: 'POST', path: '/partners/{partner}/cohorts/users' },
    ],
    sendsTo: ['cohortImport'],
    // workspaces: credential lookup, and pinning a partner key on first use ("pin" policy);
    // idempotency: the per-workspace rate-limit counter.
    tables: { workspaces: 'write', idempotency: 'write' },
  },
  cohortWorker: {
    entry: 'functions/handlers/cohort-worker.ts',
    description: 'Matches imported identifiers to existing profiles, applies cohort membership deltas and writes import reports',
    routes: [],
    consumes: 'cohortImport',
    sendsTo: [],
    tables: { users: 'read', aliases: 'read', cohorts: 'write', workspaces: 'write', idempotency: 'write' },
  },
  readApi: {
    entry: 'functions/handlers/read-api.ts',
    description: 'Read API: cohorts, cohort members, import reports and user profiles with their cohorts and Heap segments',
    routes: [
      { method: 'GET', path: '/v1/cohorts' },
      { method: 'GET', path: '/v1/cohorts/{cohortId}/members' },
      { method: 'GET', path: '/v1/cohorts/{cohortId}/imports/{importId}' },
      { method: 'GET', path: '/v1/users' },
    ],
    sendsTo: [],
    tables: { workspaces: 'read', users: 'read', aliases: 'read', cohorts: 'read' },
  },
  heapWebhook: {
    entry: 'functions/handlers/heap-webhook.ts',
    description: 'Receives Heap segment-sync webhooks, verifies Heap-Hash and queues each page',
    routes: [{ method: 'POST', path: '/heap/segments/{workspaceId}' }],
    sendsTo: ['heapSync'],
    // write: records the Heap id_tokens seen on verified requests; idempotency: first receive time of each sync page.
    tables: { workspaces: 'write', idempotency: 'write', events: 'write' },
    decryptsSecrets: true,
  },
  heapWorker: {
    entry: 'functions/handlers/heap-worker.ts',
    description: 'Applies queued Heap segment pages and drains to segment membership',
    routes: [],
    consumes: 'heapSync',
    // sendsTo: a drain of a very large segment continues in a follow-up message.
    sendsTo: ['heapSync'],
    tables: { cohorts: 'write', idempotency: 'write' },
  },
  abTastyApi: {
    entry: 'functions/handlers/abtasty-api.ts',
    description: 'AB Tasty pull API: Heap segments, a visitor\'s segments, members and UDC CSV',
    routes: [
      { method: 'GET', path: '/abtasty/segments' },
      { method: 'GET', path: '/abtasty/visitors/{visitorId}/segments' },
      { method: 'GET', path: '/abtasty/segments/{segmentId}/visitors' },
      { method: 'GET', path: '/abtasty/segments/{segmentId}/udc.csv' },
    ],
    sendsTo: [],
    tables: { workspaces: 'read', cohorts: 'read' },
  },
  currentsIngest: {
    entry: 'functions/handlers/currents-ingest.ts',
    description: 'Receives Braze Currents batches (Custom HTTP connector) and queues them whole',
    routes: [{ method: 'POST', path: '/currents' }],
    sendsTo: ['currents'],
    tables: { workspaces: 'read' },
  },
  currentsWorker: {
    entry: 'functions/handlers/currents-worker.ts',
    description: 'Stores Currents events and rejects, and builds the user directory from them',
    routes: [],
    consumes: 'currents',
    sendsTo: [],
    tables: { users: 'write', aliases: 'write', cohorts: 'write', events: 'write', idempotency: 'write' },
  },
  identityApi: {
    entry: 'functions/handlers/identity-api.ts',
    description: 'Braze-shaped alias management: /users/alias/new and /users/identify',
    routes: [
      { method: 'POST', path: '/users/alias/new' },
      { method: 'POST', path: '/users/identify' },
    ],
    sendsTo: [],
    tables: { workspaces: 'read', users: 'write', aliases: 'write', cohorts: 'write' },
  },
  eventsApi: {
    entry: 'functions/handlers/events-api.ts',
    description: "Reads stored Currents events (by user, by type) and the Currents rejects store",
    routes: [
      { method: 'GET', path: '/v1/users/{brazeId}/events' },
      { method: 'GET', path: '/v1/events' },
      { method: 'GET', path: '/v1/currents/rejects' },
      { method: 'GET', path: '/v1/heap/rejects' },
    ],
    sendsTo: [],
    tables: { workspaces: 'read', events: 'read' },
  },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionKey = keyof typeof FUNCTIONS;

export const functionDefinitions = (): [FunctionKey, FunctionDefinition][] =>
  Object.entries(FUNCTIONS) as [FunctionKey, FunctionDefinition][];
