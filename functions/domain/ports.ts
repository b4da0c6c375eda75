/**
 * Ports: what domain functions need from the outside world. Adapters implement them over DynamoDB,
 * SQS and KMS; unit tests pass in-memory fakes. Every port is declared here or in `ports/` (one file
 * per area, re-exported below), so `domain/ports` is the one import path for all of them.
 */
import type { HashedCredentialKind, SigningKeyRecord, WorkspaceRecord } from '../schemas/workspace';
import type { CredentialRotation } from './ports/credentials';
import type { PushReason } from '../schemas/abtasty-delivery';
import type { DeliveryReport, TokenProvider, UdcSender } from './abtasty-delivery';

export * from './ports/directory';
export * from './ports/sets';
export * from './ports/cohort-import';
export * from './ports/events';
export * from './ports/abtasty';
export * from './ports/credentials';
export * from './ports/operations';
export * from './ports/history';
export * from './ports/change-events';
export * from './ports/change-webhook';

export interface WorkspaceStore {
  /** Creates the workspace and its credential index entries atomically; false if the name is taken. */
  create(record: WorkspaceRecord): Promise<boolean>;
  get(workspaceId: string): Promise<WorkspaceRecord | undefined>;
  getByName(name: string): Promise<WorkspaceRecord | undefined>;
  /** The workspace whose credential of this kind hashes to `hash`. */
  findByCredentialHash(kind: HashedCredentialKind, hash: string): Promise<WorkspaceRecord | undefined>;
  list(): Promise<WorkspaceRecord[]>;
  /**
   * Rotates one credential hash in one transaction (see `CredentialRotation`); rejects, writing
   * nothing, when the stored hash is no longer `oldHash` (a concurrent rotation).
   */
  rotateCredentialHash(rotation: CredentialRotation): Promise<void>;
  /** Applies a partial update of the record's non-credential settings. */
  update(workspaceId: string, changes: Partial<Omit<WorkspaceRecord, 'workspaceId' | 'credentialHashes'>>): Promise<void>;
  /**
   * Pins a partner key if none is pinned yet; returns the hash that is pinned afterwards, or
   * undefined when it cannot be read back (then nothing is accepted as pinned).
   */
  pinPartnerKey(workspaceId: string, partner: string, hash: string): Promise<string | undefined>;
  /** Adds a Heap id_token to the seen list if absent. */
  recordHeapIdToken(workspaceId: string, idToken: string): Promise<void>;
  /** Stores the workspace's signing key if it has none yet; false when it already had one. */
  setSigningKey(workspaceId: string, key: SigningKeyRecord): Promise<boolean>;
}


/** Reversible encryption for secrets that must be recovered (the Heap webhook secret for HMAC). */
export interface SecretBox {
  encrypt(plaintext: string, context: Record<string, string>): Promise<string>;
  decrypt(ciphertext: string, context: Record<string, string>): Promise<string>;
}

/**
 * The one source of time, injected into workers, domain functions and scripts (never `Date.now()`
 * inside a rule): tests pass a fixed clock, the fault suite a controlled one.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The clock's current time as ISO-8601 UTC (the form of every stored `createdAt` / `updatedAt`). */
export const isoNow = (clock: Clock): string => new Date(clock.now()).toISOString();

/** What a caller that retries with backoff needs: the time, a way to wait, and jitter in [0, 1). */
export interface RetryTiming {
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

/** How far publishing a request's messages got: all of them, or some of them before the queue gave up. */
export type PublishOutcome =
  | { readonly ok: true; readonly messages: number }
  | {
      readonly ok: false;
      /** Messages the queue confirmed before giving up (a retry is safe: every message is idempotent). */
      readonly queued: number;
      readonly total: number;
      /** The last error, for the log. */
      readonly cause?: unknown;
    };

/**
 * A work queue, for the ingest side: whether a message body fits one queue message (as it will be
 * sent), and publishing a request's messages whole or saying how far it got. Implemented over SQS
 * batching by adapters/queue-publisher.ts.
 */
export interface QueuePublisher {
  readonly fits: (body: string) => boolean;
  readonly publishAll: (bodies: readonly string[]) => Promise<PublishOutcome>;
}

/** A cursor, opened: the page key to continue from (undefined without a cursor), or `ok: false` when it was not issued here. */
export type OpenedCursor = { readonly ok: true; readonly key: Record<string, unknown> | undefined } | { readonly ok: false };

/**
 * Page keys as opaque, tamper-evident cursors, bound to a workspace and a route name: a cursor of
 * another workspace or route does not open. Every read API uses it (shared/cursor.ts `signedCursors`,
 * keyed by the workspace's random signing key, domain/signing-keys.ts).
 */
export interface CursorCodec {
  encode(workspace: WorkspaceRecord, route: string, key: Record<string, unknown> | undefined): Promise<string | undefined>;
  decode(workspace: WorkspaceRecord, route: string, cursor: string | undefined): Promise<OpenedCursor>;
}

/** One page of a query: its items and where the next page starts. */
export interface Page<T> {
  readonly items: T[];
  readonly nextKey?: Record<string, unknown> | undefined;
}

/** The reads of the events read API: stored Currents events (decoded), and the Currents and Heap rejects as stored. */
export interface EventReads {
  userEvents(workspaceId: string, brazeId: string, range: { fromMs: number; toMs: number; type?: string }, limit: number, startKey?: Record<string, unknown>): Promise<Page<unknown>>;
  typeEvents(workspaceId: string, type: string, day: string, range: { fromMs: number; toMs: number }, limit: number, startKey?: Record<string, unknown>): Promise<Page<unknown>>;
  currentsRejects(workspaceId: string, limit: number, startKey?: Record<string, unknown>): Promise<Page<Record<string, unknown>>>;
  heapRejects(workspaceId: string, limit: number, startKey?: Record<string, unknown>): Promise<Page<Record<string, unknown>>>;
}

/** One stored AB Tasty push: its id (sortable by start time) and the report `deliver` returned. */
export interface StoredDelivery {
  readonly deliveryId: string;
  readonly report: DeliveryReport;
  /** Entries of `report.segments` / `report.skipped` a stored item left out (a very large push; see docs/data-model.md). */
  readonly omitted?: { readonly segments: number; readonly skipped: number };
}

/** A page of stored deliveries, newest first. */
export interface DeliveryPage {
  readonly deliveries: readonly StoredDelivery[];
  readonly nextKey?: Record<string, unknown>;
}

/**
 * Where AB Tasty delivery reports are kept (issue 13): written by the delivery worker after each
 * push, read newest first by `GET /v1/destinations/abtasty/deliveries`, for the whole workspace or
 * for one Heap segment. `put` is idempotent per (workspace, deliveryId): a redelivered message
 * overwrites its own report, never adds a second one.
 */
export interface DeliveryReportStore {
  put(workspaceId: string, delivery: StoredDelivery): Promise<void>;
  list(workspaceId: string, options: { readonly segmentId?: string; readonly limit: number; readonly startKey?: Record<string, unknown> }): Promise<DeliveryPage>;
}

/** A request for an AB Tasty push of one workspace (docs/abtasty-delivery.md, "Wiring"). */
export interface DeliveryRequest {
  readonly workspaceId: string;
  /** When the data to push last changed (epoch ms); a push that started after it covers the request. */
  readonly requestedAt: number;
  readonly reason: PushReason;
  /** Same key for the same cause, so a retried sender does not ask twice. */
  readonly dedupeKey: string;
}

/**
 * Asks the AB Tasty delivery worker for pushes (the abTastyDelivery queue). `coalesce`: wait a
 * little first (SQS delay), so the other pages of the same Heap run land before the push starts.
 * Resolves once every request is queued; throws otherwise (the caller's message is then retried).
 */
export interface DeliveryRequests {
  request(requests: readonly DeliveryRequest[], options: { readonly coalesce: boolean }): Promise<void>;
}

/** What the per-partner coordination item says. */
export interface DeliveryState {
  /** Start (epoch ms) of the newest push that settled: delivered, refused, or with nothing to send. */
  readonly settledFrom?: number;
  /** The newest request recorded while another push held the lease (epoch ms of its change). */
  readonly pendingSince?: number;
}

export type LeaseClaim = { readonly kind: 'claimed'; readonly state: DeliveryState } | { readonly kind: 'busy' };

/**
 * One push per AB Tasty partner at a time, and which changes a push covered. `claim` takes the
 * lease unless a live one is held; when one is, it records `requestedAt` as pending for the holder
 * instead (atomically: either the holder sees it on release, or the claim finds the lease free).
 * `release` gives the lease back (if still held by `id`), records a settled push's start, and
 * returns the state left, pending requests included.
 */
export interface DeliveryLeases {
  claim(key: string, lease: { readonly id: string; readonly now: number; readonly until: number; readonly requestedAt: number }): Promise<LeaseClaim>;
  release(key: string, lease: { readonly id: string; readonly settledFrom?: number }): Promise<DeliveryState>;
}

/** Builds the AB Tasty clients for one Public API client (token cache shared per client id in a warm process). */
export type AbTastyConnector = (client: { readonly clientId: string; readonly clientSecret: string }) => { readonly tokens: TokenProvider; readonly sender: UdcSender };
// ── Directory bootstrap from Braze's user exports (issue 14; docs/braze-export.md) ─────────────

/** A brand-new profile with its identifiers, as a bulk load writes it (no conditions: the caller checked). */
export interface NewProfileInput {
  readonly brazeId: string;
  readonly externalId?: string;
  readonly aliases: Record<string, string>;
  readonly deviceIds: readonly string[];
}

/** What applying a user file needs from the directory beyond the identity rules' `DirectoryPort`. */
export interface BulkProfileWriter {
  /** Writes new profiles and their claims in batches (first setup of CSV / JSONL files). */
  putNewProfiles(workspaceId: string, records: readonly NewProfileInput[], now: string): Promise<void>;
}

/** One stored import of a user file (CLI, S3 object or download), as `GET /v1/directory/imports` lists it. */
export interface DirectoryImportReport {
  readonly workspaceId: string;
  /** Stable per file: a redelivered or re-run file overwrites its own report. */
  readonly importId: string;
  readonly file: string;
  readonly source: 'cli' | 's3' | 'url';
  readonly format: string;
  readonly segmentId?: string;
  /** The version of every fact in the file: the export's start (or request) time, ISO-8601. */
  readonly exportStartedAt: string;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly status: 'running' | 'applied' | 'failed';
  readonly counts: Readonly<Record<string, number>>;
  readonly conflictSamples: readonly { line: number; identifier: string; reason: string }[];
  readonly rejectSamples: readonly { line: number; reason: string }[];
  readonly failureReason?: string;
}

/** Where directory import reports are kept: newest export first. `put` overwrites by (workspace, export time, importId). */
export interface DirectoryImportReports {
  put(report: DirectoryImportReport): Promise<void>;
  list(workspaceId: string, limit: number, startKey?: Record<string, unknown>): Promise<Page<DirectoryImportReport>>;
}

/** A workspace's scheduled Braze export, as the registry lists it (no secret: that stays in the workspace record). */
export interface BrazeExportEntry {
  readonly workspaceId: string;
  readonly segmentId: string;
  readonly everyMs: number;
  readonly lastRequestedAt?: number;
  readonly lastOutcome?: string;
}

/**
 * Which workspaces export which Braze segment: one small item per configured workspace, so the
 * scheduled requester lists them with one Query and the import worker finds a file's workspace by
 * its segment id, neither scanning the workspaces.
 */
export interface BrazeExportRegistry {
  put(entry: Pick<BrazeExportEntry, 'workspaceId' | 'segmentId' | 'everyMs'>): Promise<void>;
  list(): Promise<BrazeExportEntry[]>;
  /** Takes this period's run (conditional: not requested since `dueBefore`); false when another run took it. */
  claimRun(workspaceId: string, dueBefore: number, now: number): Promise<boolean>;
  /** Records what the run did; `lastRequestedAt` is the run's time, or the previous one to give a failed period back. */
  recordOutcome(workspaceId: string, outcome: string, lastRequestedAt: number | undefined): Promise<void>;
}

/** Bytes of one object in the import bucket (S3 in AWS, a watched folder locally). */
export interface ExportObjectSource {
  open(bucket: string, key: string): Promise<AsyncIterable<Buffer | Uint8Array>>;
  /** Tags the object as applied, so the bucket's lifecycle deletes it after its retention. */
  markApplied(bucket: string, key: string): Promise<void>;
}

/** A Braze download URL: its body once the export is ready, or the HTTP status that says it is not yet. */
export type DownloadOutcome = { readonly ready: true; readonly body: AsyncIterable<Buffer | Uint8Array> } | { readonly ready: false; readonly status: number };

export interface ExportDownloader {
  get(url: string): Promise<DownloadOutcome>;
}

/** Braze's answer to `POST /users/export/segment`. */
export type SegmentExportAnswer =
  | { readonly ok: true; readonly objectPrefix?: string; readonly url?: string }
  | { readonly ok: false; readonly status: number; readonly message: string };

/** Braze's REST API, as far as the hub calls it. */
export interface BrazeRestApi {
  exportSegment(restUrl: string, apiKey: string, body: { segment_id: string; fields_to_export: string[] }): Promise<SegmentExportAnswer>;
}

/** A work queue that takes one message to deliver later (SQS `DelaySeconds`, at most 900). */
export interface DelayedQueue {
  sendLater(body: string, delaySeconds: number): Promise<void>;
}
