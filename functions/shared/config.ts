/**
 * Runtime configuration — the one place under functions/ that reads `process.env` (lint enforces
 * it): table names and queue URLs granted to the function, and every tunable, validated with zod so
 * a misconfigured function fails at init rather than on the first request.
 */
import * as z from 'zod/mini';
import { TABLES, type TableKey } from './definitions/tables';
import { QUEUES, type QueueKey } from './definitions/queues';

const nonEmpty = z.string().check(z.minLength(1));

/** Physical name of a table, from its env var. Throws a clear error when the function lacks it. */
export const tableName = (table: TableKey): string => {
  const value = process.env[TABLES[table].envVar];
  if (!value) throw new Error(`Missing env ${TABLES[table].envVar}: this function was not granted the ${table} table`);
  return value;
};

/** Queue URL of a work queue if this function was given it (health probes), else undefined. */
export const optionalQueueUrl = (queue: QueueKey): string | undefined => process.env[QUEUES[queue].envVar] || undefined;

/** Queue URL of a work queue, from its env var. */
export const queueUrl = (queue: QueueKey): string => {
  const value = process.env[QUEUES[queue].envVar];
  if (!value) throw new Error(`Missing env ${QUEUES[queue].envVar}: this function was not granted the ${queue} queue`);
  return value;
};

const positiveInt = (fallback: number) => z._default(z.coerce.number().check(z.int(), z.positive()), fallback);

const settingsSchema = z.object({
  /** Cohort import requests per workspace per window (Braze: 250,000 per hour). */
  COHORT_IMPORT_RATE_LIMIT: positiveInt(250_000),
  COHORT_IMPORT_RATE_WINDOW_SECONDS: positiveInt(3600),
  /** 1,000 identifiers of 512 characters stay below this; larger cohort import bodies get 413. */
  COHORT_IMPORT_MAX_BODY_BYTES: positiveInt(2_000_000),
  HEAP_TIMESTAMP_TOLERANCE_SECONDS: z._default(z.coerce.number(), 300),
  HEAP_FUTURE_TOLERANCE_SECONDS: z._default(z.coerce.number(), 60),
  /**
   * The hot window of Currents events and rejects in DynamoDB (TTL, days from the event's time or its
   * receipt, whichever is later); the full history is in the archive (docs/currents.md).
   */
  EVENT_HOT_DAYS: positiveInt(30),
  /** Membership history retention (TTL), counted from each flip (docs/membership-history.md). */
  HISTORY_RETENTION_DAYS: positiveInt(400),
  /** How long a member partition's claim holds if its writer dies: the function's timeout (adapters/membership-shard.ts). */
  MEMBERSHIP_LEASE_SECONDS: positiveInt(900),
  MAX_BODY_BYTES: z._default(z.coerce.number(), 6_000_000),
  /**
   * How long a push request from the Heap worker waits in the delivery queue (SQS DelaySeconds), so
   * the pages of one sync run coalesce into one AB Tasty push; well under the 60 s promise.
   */
  ABTASTY_PUSH_DELAY_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(900)), 20),
  SECRET_KMS_KEY_ID: z.optional(nonEmpty),
  HUB_LOCAL_SECRET_KEY: z.optional(nonEmpty),
});

export type Settings = z.infer<typeof settingsSchema>;

/** The cohort import tunables alone (defaults follow Braze). */
export const cohortImportSettingsSchema = z.pick(settingsSchema, {
  COHORT_IMPORT_RATE_LIMIT: true,
  COHORT_IMPORT_RATE_WINDOW_SECONDS: true,
  COHORT_IMPORT_MAX_BODY_BYTES: true,
});
export type CohortImportSettings = z.infer<typeof cohortImportSettingsSchema>;

let cached: Settings | undefined;

/** Tunables with defaults; cached after the first read. */
export const settings = (): Settings => {
  cached ??= settingsSchema.parse(process.env);
  return cached;
};

/** Test hook: forget cached settings after changing process.env. */
export const resetSettings = (): void => {
  cached = undefined;
};

/** AB Tasty endpoint overrides (the local stack and tests point them at a fake); unset in AWS. */
export const abTastyEndpointOverrides = (): Record<'ABTASTY_TOKEN_URL' | 'ABTASTY_UDC_URL', string | undefined> => ({
  ABTASTY_TOKEN_URL: process.env.ABTASTY_TOKEN_URL,
  ABTASTY_UDC_URL: process.env.ABTASTY_UDC_URL,
});

/**
 * Braze export overrides (docs/braze-export.md): `BRAZE_REST_URL` replaces every workspace's Braze
 * REST endpoint (the local stack and tests point it at a fake); `HUB_LOCAL_S3_DIR` is the local
 * stack's watched folder standing in for the import bucket; `BRAZE_DOWNLOAD_DELAY_SECONDS` how long
 * a download job waits before each try (a local fake's URL is ready at once). All unset in AWS.
 */
export const brazeExportOverrides = (): { restUrl?: string; localS3Dir?: string; downloadDelaySeconds?: number } => {
  const delay = Number(process.env.BRAZE_DOWNLOAD_DELAY_SECONDS);
  return {
    ...(process.env.BRAZE_REST_URL ? { restUrl: process.env.BRAZE_REST_URL.replace(/\/+$/, '') } : {}),
    ...(process.env.HUB_LOCAL_S3_DIR ? { localS3Dir: process.env.HUB_LOCAL_S3_DIR } : {}),
    ...(process.env.BRAZE_DOWNLOAD_DELAY_SECONDS && Number.isInteger(delay) && delay >= 0 ? { downloadDelaySeconds: delay } : {}),
  };
};

/** Where the console function finds its built assets (the local stack builds them into `.hub/console`); unset in AWS: next to the bundle. */
export const consoleAssetsDir = (): string | undefined => process.env.CONSOLE_ASSETS_DIR || undefined;

/** Where change events go (docs/events.md): the bus in AWS (`CHANGE_EVENT_BUS_NAME`), a folder of JSON lines locally (`HUB_LOCAL_EVENTS_DIR`). */
export const changeEventTargets = (): { localDir?: string; busName?: string } => ({
  ...(process.env.HUB_LOCAL_EVENTS_DIR ? { localDir: process.env.HUB_LOCAL_EVENTS_DIR } : {}),
  ...(process.env.CHANGE_EVENT_BUS_NAME ? { busName: process.env.CHANGE_EVENT_BUS_NAME } : {}),
});

/** Where archived Currents events go (docs/currents.md "Full history"): the bucket in AWS (`EVENT_ARCHIVE_BUCKET`), a folder locally (`HUB_LOCAL_ARCHIVE_DIR`). */
export const eventArchiveTarget = (): { localDir?: string; bucket?: string } => ({
  ...(process.env.HUB_LOCAL_ARCHIVE_DIR ? { localDir: process.env.HUB_LOCAL_ARCHIVE_DIR } : {}),
  ...(process.env.EVENT_ARCHIVE_BUCKET ? { bucket: process.env.EVENT_ARCHIVE_BUCKET } : {}),
});
