/**
 * Segment Engage audiences (docs/segment.md): the events Segment's "Webhooks (Actions)" destination
 * POSTs — one event, or a JSON array when batching — mapped the way Segment's own Braze Cohorts
 * destination maps them (cohort id = `context.personas.computation_id`, name = `computation_key`,
 * `userId` → external_id, else `context.device.id` → device_id, else a `user_alias` object) into the
 * queue messages a Braze cohort import produces: per audience a cohort upsert and a membership
 * delta, which the cohort matching worker applies and reports on. Each change carries its own
 * version — the event's `timestamp`, then its `messageId` — so a retried, duplicated or reordered
 * Exit/Enter pair ends in the state of the newest event. Events that are not audience membership
 * are counted and ignored (Segment would otherwise retry or drop the batch).
 */
import type { CohortUpsertMessage, ReceivedCounts } from '../schemas/cohort-import';
import { SAMPLE_LIMIT } from '../schemas/cohort-import';
import {
  AUDIENCE_CLASS,
  AUDIENCE_EVENTS,
  MAX_SEGMENT_EVENTS,
  computationIdSchema,
  computationKeySchema,
  deviceIdSchema,
  membershipValueSchema,
  messageIdSchema,
  userAliasSchema,
  userIdSchema,
} from '../schemas/segment';
import type { WorkspaceRecord } from '../schemas/workspace';
import { parseIsoTime, type IdentifierChange } from './cohort-import-validation';
import { planMembershipMessages } from './cohort-ingest';
import { decisionLogDays } from './decision-log';
import { describeIdentifier, identifierKey, type Identifier } from './identifiers';
import { issueImportId, type ImportIdScope } from './import-ids';
import { changeVersion, type MembershipOp } from './membership';
import { invalid, ok, type Outcome } from './outcomes';

/** The partner name Segment's braze-cohorts destination uses (`/partners/segment/cohorts`): the cohorts' source. */
export const SEGMENT_PARTNER = 'segment';
/** An event time this far past the receive time is clamped to it: a bogus future timestamp cannot pin a membership. */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;
/** At most this many problems are listed in a refusal. */
export const MAX_LISTED_ERRORS = 20;

export const BAD_BODY = 'Body must be a Segment event (a JSON object) or a JSON array of events';

/** Why an event was accepted without a membership change. */
export type IgnoredReason = 'not_audience' | 'other_event' | 'no_identifier';

/** One event's membership change: one identifier entering (`add`) or exiting (`remove`) one audience. */
export interface AudienceChange extends IdentifierChange {
  readonly cohortId: string;
  readonly name: string;
  /** `<event time ms>#seg#<messageId>`: orders changes across requests and within one. */
  readonly version: string;
  readonly timeMs: number;
}

export type EventReading =
  | { readonly kind: 'change'; readonly change: AudienceChange }
  | { readonly kind: 'ignored'; readonly reason: IgnoredReason }
  | { readonly kind: 'invalid'; readonly errors: string[] };

type Json = Record<string, unknown>;
const objectAt = (value: unknown): Json | undefined => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined);
const present = (value: unknown): boolean => value !== undefined && value !== null && value !== '';
/** A client-supplied key, shortened for an error message. */
const shown = (key: string): string => (key.length > 64 ? `${key.slice(0, 64)}…` : key);

/** The event's one identifier, in braze-cohorts' priority: userId, then device id, then alias. */
const identifierOf = (event: Json, errors: string[]): Identifier | undefined => {
  if (present(event.userId)) {
    const parsed = userIdSchema.safeParse(event.userId);
    if (parsed.success) return { kind: 'external_id', value: parsed.data };
    errors.push('userId must be a string of at most 512 characters (1,020 bytes as UTF-8)');
    return undefined;
  }
  const deviceId = objectAt(objectAt(event.context)?.device)?.id;
  if (present(deviceId)) {
    const parsed = deviceIdSchema.safeParse(deviceId);
    if (parsed.success) return { kind: 'device_id', value: parsed.data };
    errors.push('context.device.id must be a string of at most 512 characters (1,020 bytes as UTF-8)');
    return undefined;
  }
  if (!present(event.user_alias)) return undefined;
  const alias = userAliasSchema.safeParse(event.user_alias);
  if (alias.success) return { kind: 'alias', label: alias.data.alias_label, name: alias.data.alias_name };
  errors.push('user_alias must be {"alias_name", "alias_label"}, strings of at most 512 characters');
  return undefined;
};

/** Membership from `traits.<key>` (identify) or `properties.<key>` (track; else the event name). */
const membershipOf = (event: Json, key: string, errors: string[]): boolean | undefined => {
  const source = event.type === 'identify' ? 'traits' : 'properties';
  const bag = objectAt(event[source]);
  const raw = bag && Object.hasOwn(bag, key) ? bag[key] : undefined;
  if (raw === undefined || raw === null) {
    if (event.type === 'track') return AUDIENCE_EVENTS[event.event as keyof typeof AUDIENCE_EVENTS];
    errors.push(`traits.${shown(key)} must be true or false (the audience membership)`);
    return undefined;
  }
  const parsed = membershipValueSchema.safeParse(raw);
  if (parsed.success) return typeof parsed.data === 'boolean' ? parsed.data : parsed.data.toLowerCase() === 'true';
  errors.push(`${source}.${shown(key)} must be true or false (the audience membership)`);
  return undefined;
};

/** Checks one field: its value, or undefined with the problem added to `errors`. */
const field = <T>(schema: { safeParse: (value: unknown) => { success: true; data: T } | { success: false } }, value: unknown, problem: string, errors: string[]): T | undefined => {
  const parsed = schema.safeParse(value);
  if (!parsed.success) errors.push(problem);
  return parsed.success ? parsed.data : undefined;
};

/** Reads one element of the body: an audience membership change, an ignored event, or the problems that make it invalid. */
export const readAudienceEvent = (item: unknown, receivedAt: number): EventReading => {
  const event = objectAt(item);
  if (!event || typeof event.type !== 'string') return { kind: 'invalid', errors: ['not a Segment event (a JSON object with a string "type")'] };
  const personas = objectAt(objectAt(event.context)?.personas);
  if (personas?.computation_class !== AUDIENCE_CLASS || (event.type !== 'identify' && event.type !== 'track')) return { kind: 'ignored', reason: 'not_audience' };
  if (event.type === 'track' && !(typeof event.event === 'string' && Object.hasOwn(AUDIENCE_EVENTS, event.event))) return { kind: 'ignored', reason: 'other_event' };
  const errors: string[] = [];
  const cohortId = field(computationIdSchema, personas.computation_id, 'context.personas.computation_id must be a non-empty string of at most 512 characters (1,022 bytes as UTF-8)', errors);
  const name = field(computationKeySchema, personas.computation_key, 'context.personas.computation_key must be a non-empty string of at most 1,024 characters', errors);
  const messageId = field(messageIdSchema, event.messageId, 'messageId must be a non-empty string of at most 256 characters', errors);
  const time = parseIsoTime(event.timestamp);
  if (time === undefined) errors.push('timestamp must be an ISO-8601 date-time');
  const member = name === undefined ? undefined : membershipOf(event, name, errors);
  const identifier = identifierOf(event, errors);
  if (errors.length > 0 || cohortId === undefined || name === undefined || messageId === undefined || time === undefined || member === undefined) return { kind: 'invalid', errors };
  if (!identifier) return { kind: 'ignored', reason: 'no_identifier' };
  const timeMs = Date.parse(time);
  const op: MembershipOp = member ? 'add' : 'remove';
  return { kind: 'change', change: { cohortId, name, identifier, op, timeMs, version: changeVersion(Math.min(timeMs, receivedAt + FUTURE_TOLERANCE_MS), `seg#${messageId}`) } };
};

export interface SegmentBody {
  readonly events: number;
  readonly changes: AudienceChange[];
  readonly ignored: Record<IgnoredReason, number>;
}

/** The body's events, and whether it was a batch (a JSON array); undefined when it is neither an event nor an array. */
const parseItems = (rawBody: string): { items: unknown[]; batch: boolean } | undefined => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    return undefined;
  }
  if (Array.isArray(parsed)) return { items: parsed as unknown[], batch: true };
  return objectAt(parsed) ? { items: [parsed], batch: false } : undefined;
};

/** Reads a whole body; `invalid` when it is not one event or an array of them, or when any audience event is malformed (nothing is then queued). */
export const readSegmentBody = (rawBody: string, receivedAt: number): Outcome<SegmentBody> => {
  const parsed = parseItems(rawBody);
  if (!parsed) return invalid(BAD_BODY, [rawBody.trim() === '' ? 'body is empty' : 'body is not a JSON object or array']);
  const { items, batch } = parsed;
  if (items.length > MAX_SEGMENT_EVENTS) return invalid(`At most ${MAX_SEGMENT_EVENTS} events per request (lower the mapping's batch size)`);
  const body: SegmentBody = { events: items.length, changes: [], ignored: { not_audience: 0, other_event: 0, no_identifier: 0 } };
  const errors: string[] = [];
  let refused = 0;
  items.forEach((item, index) => {
    const reading = readAudienceEvent(item, receivedAt);
    if (reading.kind === 'change') body.changes.push(reading.change);
    else if (reading.kind === 'ignored') body.ignored[reading.reason] += 1;
    else {
      refused += 1;
      for (const error of reading.errors) if (errors.length < MAX_LISTED_ERRORS) errors.push(batch ? `[${index}] ${error}` : error);
    }
  });
  if (refused > 0) return invalid(`${refused} of ${items.length} events are not valid Engage audience events: nothing was queued`, errors);
  return ok(body);
};

/** One audience's changes of a request, collapsed to one per identifier (the newest event wins). */
export interface AudienceDelta {
  readonly cohortId: string;
  /** The computation_key of the newest event. */
  readonly name: string;
  /** The earliest event time, as braze-cohorts sends `created_at`; the first one applied is kept. */
  readonly createdAt: string;
  readonly changes: IdentifierChange[];
  readonly received: ReceivedCounts;
  readonly duplicate: number;
  readonly conflicts: number;
  readonly conflictSamples: string[];
}

const deltaOf = (changes: readonly AudienceChange[]): AudienceDelta => {
  const latest = new Map<string, AudienceChange>();
  const ops = new Map<string, Set<MembershipOp>>();
  const received: ReceivedCounts = { user_ids: 0, device_ids: 0, aliases: 0 };
  for (const change of changes) {
    const key = identifierKey(change.identifier);
    const kept = latest.get(key);
    if (!kept || change.version > kept.version) latest.set(key, change);
    ops.set(key, (ops.get(key) ?? new Set<MembershipOp>()).add(change.op));
    received[change.identifier.kind === 'external_id' ? 'user_ids' : change.identifier.kind === 'device_id' ? 'device_ids' : 'aliases'] += 1;
  }
  const conflicting = [...ops].filter(([, seen]) => seen.size > 1).map(([key]) => key);
  const newest = changes.reduce((a, b) => (b.version > a.version ? b : a));
  return {
    cohortId: newest.cohortId,
    name: newest.name,
    createdAt: new Date(changes.reduce((min, change) => Math.min(min, change.timeMs), Infinity)).toISOString(),
    changes: [...latest.values()].map(({ identifier, op, version }) => ({ identifier, op, version })),
    received,
    duplicate: changes.length - latest.size,
    conflicts: conflicting.length,
    conflictSamples: conflicting.slice(0, SAMPLE_LIMIT).map((key) => describeIdentifier((latest.get(key) as AudienceChange).identifier)),
  };
};

/** A request's changes per audience, in order of first appearance. */
export const collapseAudienceChanges = (changes: readonly AudienceChange[]): AudienceDelta[] => {
  const byCohort = new Map<string, AudienceChange[]>();
  for (const change of changes) {
    const list = byCohort.get(change.cohortId) ?? [];
    list.push(change);
    byCohort.set(change.cohortId, list);
  }
  return [...byCohort.values()].map(deltaOf);
};

/** The import ids of one audience of a request: its membership delta, and the cohort upsert that names it. */
export interface SegmentImport {
  readonly cohortId: string;
  readonly importId: string;
  readonly nameImportId: string;
}

/**
 * The queue messages of a request — per audience, a cohort upsert (name = computation_key) and its
 * membership delta in parts that each `fit` — or undefined when one change alone cannot fit.
 */
export const planSegmentMessages = (workspace: WorkspaceRecord, ids: ImportIdScope, receivedAt: number, deltas: readonly AudienceDelta[], fits: (body: string) => boolean) => {
  const bodies: string[] = [];
  const imports: SegmentImport[] = [];
  for (const delta of deltas) {
    const base = { workspaceId: workspace.workspaceId, partner: SEGMENT_PARTNER, cohortId: delta.cohortId, receivedAt };
    const nameImportId = issueImportId(ids, delta.cohortId, receivedAt);
    const importId = issueImportId(ids, delta.cohortId, receivedAt);
    const upsert: CohortUpsertMessage = { ...base, dedupeKey: `${nameImportId}#0`, type: 'cohort', importId: nameImportId, name: delta.name, createdAt: delta.createdAt };
    // The delta carries the cohort's creation time too: whichever message the worker applies first, the cohort gets it.
    const members = planMembershipMessages({ ...base, importId, createdAt: delta.createdAt, decisionLogDays: decisionLogDays(workspace) }, delta, delta.received, fits);
    if (!members) return undefined;
    bodies.push(JSON.stringify(upsert), ...members);
    imports.push({ cohortId: delta.cohortId, importId, nameImportId });
  }
  return { bodies, imports };
};
