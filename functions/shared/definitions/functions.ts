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
    ],
    sendsTo: [],
    tables: { workspaces: 'read', events: 'read' },
  },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionKey = keyof typeof FUNCTIONS;

export const functionDefinitions = (): [FunctionKey, FunctionDefinition][] =>
  Object.entries(FUNCTIONS) as [FunctionKey, FunctionDefinition][];
