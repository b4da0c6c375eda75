/**
 * Validating Braze partner cohort import bodies field by field, so each failure is Braze's own
 * error text (an `invalid` outcome whose `errors` repeat the message, Braze's body convention), and
 * collapsing a membership delta to one change per identifier.
 */
import {
  BRAZE_ERRORS,
  MAX_IDENTIFIERS_PER_REQUEST,
  SAMPLE_LIMIT,
  cohortChangesSchema,
  cohortIdSchema,
  cohortNameSchema,
  type ReceivedCounts,
} from '../schemas/cohort-import';
import { describeIdentifier, identifierKey, type Identifier } from './identifiers';
import { collapseChanges, type MembershipOp } from './membership';
import { invalid, ok, type Outcome } from './outcomes';

/** A refusal in Braze's body convention: `{"message": "...", "errors": ["..."]}`. */
export const brazeInvalid = (message: string) => invalid(message, [message]);

const parseCohortId = (body: Record<string, unknown>): Outcome<string> => {
  const parsed = cohortIdSchema.safeParse(body.cohort_id);
  return parsed.success ? ok(parsed.data) : brazeInvalid(BRAZE_ERRORS.cohortId);
};

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** Normalises an ISO-8601 date or date-time to UTC (`toISOString`), or undefined when invalid. */
export const parseIsoTime = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return undefined;
  const match = ISO_8601.exec(value.trim());
  if (!match) return undefined;
  // Date.parse rolls impossible dates over (Feb 30 → Mar 2): check the calendar date itself.
  const [year, month, day] = value.trim().slice(0, 10).split('-').map(Number) as [number, number, number];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return undefined;
  let text = value.trim().replace(' ', 'T').replace(',', '.');
  // A time without an offset is read as UTC (Braze's convention), never as the server's local time.
  if (text.includes('T') && match[1] === undefined) text += 'Z';
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

export interface CohortUpsertInput {
  readonly cohortId: string;
  readonly name: string;
  readonly createdAt: string;
}

/** Validates a `/cohorts` body, field by field, in Braze's words. */
export const validateCohortUpsert = (body: Record<string, unknown>): Outcome<CohortUpsertInput> => {
  const cohortId = parseCohortId(body);
  if (!cohortId.ok) return cohortId;
  const name = cohortNameSchema.safeParse(body.name);
  if (!name.success) return brazeInvalid(BRAZE_ERRORS.name);
  const createdAt = parseIsoTime(body.created_at);
  if (createdAt === undefined) return brazeInvalid(BRAZE_ERRORS.createdAt);
  return ok({ cohortId: cohortId.value, name: name.data, createdAt });
};

export interface IdentifierChange {
  readonly identifier: Identifier;
  readonly op: MembershipOp;
  /** The change's own membership version (Segment events); Braze deltas carry none. */
  readonly version?: string;
}

export interface CohortChangesInput {
  readonly cohortId: string;
  /** Every identifier in request order (before collapsing). */
  readonly changes: IdentifierChange[];
  readonly received: ReceivedCounts;
}

/**
 * Validates a `/cohorts/users` body. Each change object may hold `user_ids`, `device_ids` and
 * `aliases` (a list or one object); unknown keys are ignored and `should_remove` defaults to false.
 * More than 1,000 identifiers across all objects is refused whole.
 */
export const validateCohortChanges = (body: Record<string, unknown>): Outcome<CohortChangesInput> => {
  const cohortId = parseCohortId(body);
  if (!cohortId.ok) return cohortId;
  const parsed = cohortChangesSchema.safeParse(body.cohort_changes);
  if (!parsed.success) return brazeInvalid(BRAZE_ERRORS.cohortChanges);
  const received: ReceivedCounts = { user_ids: 0, device_ids: 0, aliases: 0 };
  const changes: IdentifierChange[] = [];
  for (const object of parsed.data) {
    const op: MembershipOp = object.should_remove === true ? 'remove' : 'add';
    const aliases = object.aliases == null ? [] : Array.isArray(object.aliases) ? object.aliases : [object.aliases];
    received.user_ids += object.user_ids?.length ?? 0;
    received.device_ids += object.device_ids?.length ?? 0;
    received.aliases += aliases.length;
    if (received.user_ids + received.device_ids + received.aliases > MAX_IDENTIFIERS_PER_REQUEST) return brazeInvalid(BRAZE_ERRORS.tooManyIdentifiers);
    for (const value of object.user_ids ?? []) changes.push({ identifier: { kind: 'external_id', value }, op });
    for (const value of object.device_ids ?? []) changes.push({ identifier: { kind: 'device_id', value }, op });
    for (const alias of aliases) changes.push({ identifier: { kind: 'alias', label: alias.alias_label, name: alias.alias_name }, op });
  }
  return ok({ cohortId: cohortId.value, changes, received });
};

export interface CollapsedChanges {
  readonly changes: IdentifierChange[];
  /** Repeated occurrences of an identifier beyond its first. */
  readonly duplicate: number;
  /** Identifiers that appear both as add and as remove: the remove wins. */
  readonly conflicts: number;
  readonly conflictSamples: string[];
}

/** One change per identifier, the removal winning over an add of the same identifier. */
export const collapseIdentifierChanges = (changes: readonly IdentifierChange[]): CollapsedChanges => {
  const byKey = new Map<string, Identifier>();
  const ops = new Map<string, Set<MembershipOp>>();
  for (const change of changes) {
    const key = identifierKey(change.identifier);
    byKey.set(key, change.identifier);
    const seen = ops.get(key) ?? new Set<MembershipOp>();
    seen.add(change.op);
    ops.set(key, seen);
  }
  const collapsed = collapseChanges(changes.map((change) => ({ memberId: identifierKey(change.identifier), op: change.op })));
  const conflicting = [...ops].filter(([, seen]) => seen.size > 1).map(([key]) => key);
  return {
    changes: collapsed.changes.map((change) => ({ identifier: byKey.get(change.memberId) as Identifier, op: change.op })),
    duplicate: changes.length - byKey.size,
    conflicts: conflicting.length,
    conflictSamples: conflicting.slice(0, SAMPLE_LIMIT).map((key) => describeIdentifier(byKey.get(key) as Identifier)),
  };
};
