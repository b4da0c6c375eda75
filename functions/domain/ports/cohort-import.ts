/** Ports of Braze partner cohort import: the rate limit, import reports and the partner keys seen. */
import type { ReceivedCounts } from '../../schemas/cohort-import';
import type { ImportFailureCode } from '../import-failures';
import type { ApplyResult, SetRef } from '../membership';
import type { UnmatchedByReason, UnmatchedSamplesByReason } from '../unmatched-reasons';

export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** When the current window ends, epoch seconds (Braze's `X-RateLimit-Reset`). */
  readonly resetAt: number;
}

/** Counts one request of a workspace in the window containing `nowMs` (domain/rate-limit.ts). */
export interface RateLimiter {
  hit(workspaceId: string, nowMs: number): Promise<RateLimitDecision>;
}

export interface ImportReportKey {
  readonly set: SetRef;
  readonly importId: string;
}

/** What an import request received and how its identifiers matched: each part records them, the report reads them back. */
export interface ImportCounts {
  readonly received: ReceivedCounts;
  readonly duplicate: number;
  readonly conflicts: number;
  readonly conflictSamples: string[];
  readonly matched: number;
  readonly unmatched: number;
  readonly unmatchedSamples: string[];
  /** Unmatched identifiers per kind and reason, with samples per reason (unmatched-reasons.ts). */
  readonly unmatchedByReason?: UnmatchedByReason;
  readonly unmatchedSamplesByReason?: UnmatchedSamplesByReason;
}

/** What one applied message part adds to its import report. */
export interface PartOutcome extends ImportCounts {
  readonly kind: 'members' | 'cohort';
  readonly partner: string;
  readonly receivedAt: string;
  readonly part: number;
  readonly parts: number;
  readonly result: ApplyResult;
  readonly now: string;
}

/** Import reports as the matching worker writes them. */
export interface ImportReports {
  /** Adds one part's outcome to the report; a part already recorded is ignored (idempotent). */
  recordPart(key: ImportReportKey, outcome: PartOutcome): Promise<boolean>;
  /** Marks the import failed (the part will not be retried any more). */
  markFailed(key: ImportReportKey, part: number, code: ImportFailureCode, now: string): Promise<void>;
}

/** An import report as stored (adapters/import-reports.ts): the counts of its parts, summed. */
export interface StoredImportReport extends ImportCounts, Readonly<ApplyResult> {
  readonly importId: string;
  readonly cohortId: string;
  readonly kind?: 'members' | 'cohort';
  readonly partner?: string;
  readonly receivedAt?: string;
  readonly parts?: number;
  readonly partsApplied: number[];
  readonly failed: boolean;
  readonly failureReason?: string;
  readonly updatedAt?: string;
}

/** Import reports as the read API reads them. */
export interface ImportReportReader {
  get(key: ImportReportKey): Promise<StoredImportReport | undefined>;
  /** A cohort's reports, newest first (import ids are time-ordered), one page. */
  list(set: ImportReportKey['set'], limit: number, startKey?: Record<string, unknown>): Promise<{ readonly items: StoredImportReport[]; readonly nextKey?: Record<string, unknown> | undefined }>;
}

export interface PartnerKeyLog {
  /** Remembers that a partner presented a key with this fingerprint to this workspace. */
  record(workspaceId: string, partner: string, fingerprint: string, now: string): Promise<void>;
}
