/**
 * Runtime configuration, read from the environment once per cold start and validated with zod so
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

/** Queue URL of a work queue, from its env var. */
export const queueUrl = (queue: QueueKey): string => {
  const value = process.env[QUEUES[queue].envVar];
  if (!value) throw new Error(`Missing env ${QUEUES[queue].envVar}: this function was not granted the ${queue} queue`);
  return value;
};

const settingsSchema = z.object({
  HEAP_TIMESTAMP_TOLERANCE_SECONDS: z._default(z.coerce.number(), 300),
  HEAP_FUTURE_TOLERANCE_SECONDS: z._default(z.coerce.number(), 60),
  EVENT_RETENTION_DAYS: z._default(z.coerce.number(), 400),
  MAX_BODY_BYTES: z._default(z.coerce.number(), 6_000_000),
  SECRET_KMS_KEY_ID: z.optional(nonEmpty),
  HUB_LOCAL_SECRET_KEY: z.optional(nonEmpty),
});

export type Settings = z.infer<typeof settingsSchema>;

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
