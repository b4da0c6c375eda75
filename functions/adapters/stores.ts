/**
 * The composition root of a Lambda process: every DynamoDB adapter a handler uses is built here,
 * once per execution environment, on first use, from the configured table names — so a function
 * only touches the tables its definition grants (a missing env var fails loudly) and handlers
 * never build adapters themselves. Tests and scripts build the same adapters with their own
 * client and tables through the `dynamo…` factories.
 */
import { dynamoConnectionLog } from './connection-log';
import { changeEventTargets, eventArchiveTarget, queueUrl, settings, tableName } from '../shared/config';
import type { RateLimitSettings } from '../domain/rate-limit';
import { systemClock, type DecisionLog, type DeliveryReportStore, type HistoryStore, type WebhookDeliveryStore, type WorkspaceStore } from '../domain/ports';
import { dynamoWebhookDeliveries, sqsChangeWebhookQueue } from './change-webhook';
import { dynamoDeliveryLeases } from './delivery-leases';
import { sqsDeliveryRequests } from './delivery-requests';
import { sqsClient } from './sqs-sender';
import { dynamoDeliveryReports } from './delivery-reports';
import { dynamoBrazeExportRegistry } from './braze-export-registry';
import { dynamoDirectoryImportReports } from './directory-import-reports';
import { directoryStore, type DirectoryStore } from './directory';
import { dynamoDocumentClient } from './dynamo-client';
import { dynamoEventReads, type EventReads } from './event-reads';
import { dynamoEventStore, type EventStore } from './events-store';
import { dynamoHeapPageLog } from './heap-page-log';
import { dynamoHeapRejects, type HeapRejects } from './heap-rejects';
import { dynamoHeapSegmentStore } from './heap-segment-store';
import { dynamoDecisionLog } from './decision-log';
import { dynamoHistoryStore } from './history-store';
import { changeEventPublisherFor } from './change-events';
import { eventArchiveFor } from './event-archive';
import { dynamoImportReports, type DynamoImportReports } from './import-reports';
import { dynamoMembershipStore } from './membership-store';
import { dynamoPartnerKeyLog } from './partner-key-log';
import { dynamoProfileReader } from './profile-store';
import { dynamoRateLimiter } from './rate-limiter';
import { dynamoSetReads, type SetReadStore } from './set-reads';
import { dynamoSetWriter } from './set-writer';
import { dynamoWorkspaceStore } from './workspace-store';

/**
 * Builds on first call, then returns the same instance for the life of the process. Marked free of
 * side effects so each bundle keeps only the stores its handler uses: without the mark esbuild kept
 * every adapter this file imports (brazeExportWorker 213 KiB → 184 KiB, abTastyWorker 202 → 163).
 */
const once = /* @__NO_SIDE_EFFECTS__ */ <T>(build: () => T): (() => T) => {
  let built: T | undefined;
  return () => (built ??= build());
};

const db = () => dynamoDocumentClient();

// workspaces table
export const workspaceStore = once((): WorkspaceStore => dynamoWorkspaceStore(db(), tableName('workspaces')));
export const partnerKeyLog = once(() => dynamoPartnerKeyLog(db(), tableName('workspaces')));

// users and aliases tables
export const directoryStoreFor = once((): DirectoryStore => directoryStore(db(), { users: tableName('users'), aliases: tableName('aliases') }));
/** Eventually consistent profile reads (cohort matching, member pages). */
export const profileReader = once(() => dynamoProfileReader(db(), tableName('users')));

// cohorts table
export const membershipStore = once(() => dynamoMembershipStore(db(), tableName('cohorts'), { leaseMs: settings().MEMBERSHIP_LEASE_SECONDS * 1000 }));
/** Creates and renames sets (the `SetWriter` port). */
export const setWriter = once(() => dynamoSetWriter(db(), tableName('cohorts')));
/** Reads sets and members (the `SetReads` / `SegmentReads` ports). */
export const setReads = once((): SetReadStore => dynamoSetReads(db(), tableName('cohorts')));
export const importReports = once((): DynamoImportReports => dynamoImportReports(db(), tableName('cohorts')));
export const heapSegmentStore = once(() => dynamoHeapSegmentStore(db(), tableName('cohorts'), { leaseMs: settings().MEMBERSHIP_LEASE_SECONDS * 1000 }));

// events and idempotency tables
export const eventStore = once((): EventStore => dynamoEventStore(db(), { events: tableName('events'), idempotency: tableName('idempotency') }));
export const eventReads = once((): EventReads => dynamoEventReads(db(), tableName('events')));
export const heapRejects = once((): HeapRejects => dynamoHeapRejects(db(), tableName('events')));
export const heapPageLog = once(() => dynamoHeapPageLog(db(), tableName('idempotency')));

export const deliveryLeases = once(() => dynamoDeliveryLeases(db(), tableName('idempotency')));

// deliveries table
/** AB Tasty delivery reports (the `DeliveryReportStore` port). */
export const deliveryReports = once((): DeliveryReportStore => dynamoDeliveryReports(db(), tableName('deliveries')));

// history table
/** Membership flips (the `HistoryStore` port), kept HISTORY_RETENTION_DAYS. */
export const historyStore = once((): HistoryStore => dynamoHistoryStore(db(), tableName('history'), settings().HISTORY_RETENTION_DAYS, () => systemClock.now()));
/** The per-identifier decision log (the `DecisionLog` port), kept per the workspace's setting. */
export const decisionLog = once((): DecisionLog => dynamoDecisionLog(db(), tableName('history')));
/** Change events out (docs/events.md): the EventBridge bus, or a folder locally. */
export const changeEventPublisher = once(() => changeEventPublisherFor(changeEventTargets()));
/** The Currents archive: S3 in AWS, a folder locally. */
export const eventArchive = once(() => eventArchiveFor(eventArchiveTarget()));

// change webhook (docs/events.md)
/** Change webhook POST reports (deliveries table, `<ws>#WHK`). */
export const webhookDeliveries = once((): WebhookDeliveryStore => dynamoWebhookDeliveries(db(), tableName('deliveries')));
/** The change-webhook FIFO queue. */
export const changeWebhookQueue = once(() => sqsChangeWebhookQueue(sqsClient(), queueUrl('changeWebhook')));

// abTastyDelivery queue
/** Push requests for the AB Tasty worker; coalesced ones wait ABTASTY_PUSH_DELAY_SECONDS in the queue. */
export const deliveryRequests = once(() =>
  sqsDeliveryRequests({ sqs: sqsClient(), queueUrl: queueUrl('abTastyDelivery'), coalesceSeconds: settings().ABTASTY_PUSH_DELAY_SECONDS }),
);

/** The cohort import rate limiter (one per process: its settings come from the ingest function's config). */
let limiter: ReturnType<typeof dynamoRateLimiter> | undefined;
export const rateLimiter = (settings: RateLimitSettings) => (limiter ??= dynamoRateLimiter(db(), tableName('idempotency'), settings));

// Braze export (issue 14): the registry (workspaces table) and directory import reports (cohorts table).
export const brazeExportRegistry = once(() => dynamoBrazeExportRegistry(db(), tableName('workspaces')));
/** The connection log (last accepted and refused request per partner connection) in the idempotency table. */
export const connectionLog = once(() => dynamoConnectionLog(db(), tableName('idempotency')));
export const directoryImportReports = once(() => dynamoDirectoryImportReports(db(), tableName('cohorts')));
