/**
 * Why a part of a cohort import failed for good (its last receive before the DLQ), as the import
 * report's `failure_reason` shows it: a stable code from this list, never an error message (which
 * can carry table names, key values or other internals). The worker logs the error itself.
 */
export const IMPORT_FAILURE_CODES = {
  /** DynamoDB refused a value of the part (ValidationException), e.g. an identifier too long for a key. */
  invalid_data: 'The store refused a value of this import (for example an identifier too long for a key)',
  /** DynamoDB throttled the part or was unavailable on every attempt. */
  storage_unavailable: 'The store was throttled or unavailable on every attempt',
  /** Anything else: see the cohort worker's log for the import id. */
  internal_error: 'Internal error',
} as const;

export type ImportFailureCode = keyof typeof IMPORT_FAILURE_CODES;

/** Error names (AWS SDK exception names) of a store that is throttled or briefly unavailable. */
const UNAVAILABLE = new Set([
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);

/** The code for an error that made a part fail for good. */
export const importFailureCode = (error: unknown): ImportFailureCode => {
  const name = error instanceof Error ? error.name : undefined;
  if (name === 'ValidationException') return 'invalid_data';
  if (name !== undefined && UNAVAILABLE.has(name)) return 'storage_unavailable';
  return 'internal_error';
};

/** A stored `failureReason` as the API shows it: a known code, else (older reports stored messages) `internal_error`. */
export const publicFailureReason = (stored: string): ImportFailureCode =>
  Object.hasOwn(IMPORT_FAILURE_CODES, stored) ? (stored as ImportFailureCode) : 'internal_error';
