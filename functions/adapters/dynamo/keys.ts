/**
 * Every DynamoDB key the hub writes or reads, built in one place, with the inverses that read a
 * key back. The layouts are deployed data (docs/data-model.md): change none of them.
 *
 * Workspace-scoped partition keys begin with the workspace id (`<ws>#…`). Workspace ids are
 * `[A-Za-z0-9_-]` (no `#`), so the first `#` of such a key always ends the workspace id.
 */
import { createHash } from 'node:crypto';
import { scoped, type Identifier } from '../../domain/identifiers';
import type { MemberKind, SetKind, SetRef } from '../../domain/membership';

// A type alias (not an interface) so keys are assignable to `Record<string, unknown>`.
export type ItemKey = { readonly pk: string; readonly sk: string };

// ── users: profiles ──────────────────────────────────────────────────────────────────────────

export const PROFILE_SK = 'PROFILE';
/** `<ws>#<brazeId>` / `PROFILE`. */
export const profileKey = (workspaceId: string, brazeId: string): ItemKey => ({ pk: scoped(workspaceId, brazeId), sk: PROFILE_SK });

// ── aliases: identifier claims ────────────────────────────────────────────────────────────────

export const CLAIM_SK = 'CLAIM';
/** `<ws>#<identifierKey>` / `CLAIM`. */
export const claimKey = (workspaceId: string, identifierKey: string): ItemKey => ({ pk: scoped(workspaceId, identifierKey), sk: CLAIM_SK });
/** Index byProfile: `gsi1pk = <ws>#<brazeId>` lists a profile's claims (`gsi1sk` = identifier key). */
export const claimsOfProfilePk = (workspaceId: string, brazeId: string): string => scoped(workspaceId, brazeId);

const unescapeKeyPart = (part: string) => part.replace(/%23/g, '#').replace(/%25/g, '%');

/** Inverse of `identifierKey` (domain/identifiers.ts) for the three kinds; undefined for anything else. */
export const identifierFromKey = (key: string): Identifier | undefined => {
  const [kind, first, second, extra] = key.split('#');
  if (first === undefined || extra !== undefined) return undefined;
  if (kind === 'ext' && second === undefined) return { kind: 'external_id', value: unescapeKeyPart(first) };
  if (kind === 'dev' && second === undefined) return { kind: 'device_id', value: unescapeKeyPart(first) };
  if (kind === 'alias' && second !== undefined) return { kind: 'alias', label: unescapeKeyPart(first), name: unescapeKeyPart(second) };
  return undefined;
};

// ── cohorts: sets, members, import reports, Heap sync runs ───────────────────────────────────

const SET_CODES = { cohort: 'C', segment: 'S' } as const satisfies Record<SetKind, string>;
const MEMBER_CODES = { profile: 'P', visitor: 'V' } as const satisfies Record<MemberKind, string>;
const SET_KINDS: Record<string, SetKind> = { C: 'cohort', S: 'segment' };

export const META_SK = 'META';
export const MEMBER_SK_PREFIX = 'M#';
export const IMPORT_SK_PREFIX = 'IMPORT#';
export const SYNC_SK_PREFIX = 'SYNC#';

/** `<ws>#C#<cohortId>` or `<ws>#S#<segmentId>`: the partition of a set's META, members and reports. */
export const setPk = (set: SetRef): string => `${set.workspaceId}#${SET_CODES[set.kind]}#${set.setId}`;
/** The set's META item. */
export const setMetaKey = (set: SetRef): ItemKey => ({ pk: setPk(set), sk: META_SK });
/** `M#<memberId>`: a member item's sort key. */
export const memberSk = (memberId: string): string => `${MEMBER_SK_PREFIX}${memberId}`;
/** Index byMember, while a member: `gsi1pk = <ws>#P#<brazeId>` or `<ws>#V#<visitorId>`. */
export const memberIndexPk = (workspaceId: string, kind: MemberKind, memberId: string): string =>
  `${workspaceId}#${MEMBER_CODES[kind]}#${memberId}`;
/** Index byMember, while a member: `gsi1sk = C#<cohortId>` / `S#<segmentId>`. */
export const setIndexSk = (set: SetRef): string => `${SET_CODES[set.kind]}#${set.setId}`;
/** `begins_with` prefix of `setIndexSk` for one kind of set. */
export const setIndexSkPrefix = (kind: SetKind): string => `${SET_CODES[kind]}#`;
/** Index byMember, on META items: `gsi1pk = <ws>#SETS#C|S` lists a workspace's sets of one kind. */
export const setListPk = (workspaceId: string, kind: SetKind): string => `${workspaceId}#SETS#${SET_CODES[kind]}`;
/**
 * Legacy count shards (before member partitions): `<set pk>` / `COUNT#<nn>`, written by the
 * transactional engine of earlier versions. Still summed into a set's count; never written now.
 */
export const COUNT_SK_PREFIX = 'COUNT#';

/**
 * Member partitions per set, by kind: a member lives in partition `memberShardOf(kind, memberId)` of
 * its set, and each partition holds its own shard item (count, floor copy, holder). Writers of one
 * set spread over N partition keys, each under DynamoDB's per-partition limit of 1,000 WCU/s: 64 for
 * Heap segments (a 10 M sync in 5 minutes needs 33,300 writes/s on one set), 32 for cohorts (written
 * ≤ 1,000 ids a request; fewer, larger chunks). docs/scaling.md "Why 64 and 32 member partitions".
 * Deployed data: never change them.
 */
export const MEMBER_SHARDS = { cohort: 32, segment: 64 } as const satisfies Record<SetKind, number>;
export const SHARD_SK = 'SHARD';

/** FNV-1a of the member id: its partition among a set's `MEMBER_SHARDS[kind]`. */
export const memberShardOf = (kind: SetKind, memberId: string): number => {
  let value = 0x811c9dc5;
  for (let index = 0; index < memberId.length; index += 1) value = Math.imul(value ^ memberId.charCodeAt(index), 0x01000193) >>> 0;
  return value % MEMBER_SHARDS[kind];
};

/**
 * `<ws>#<C|S><nn>#<setId>`: one member partition of a set (two digits right after the kind code, so
 * it never equals a set's own `<ws>#<C|S>#<setId>` whatever the set id holds).
 */
export const memberPartitionPk = (set: SetRef, shard: number): string =>
  `${set.workspaceId}#${SET_CODES[set.kind]}${shard.toString().padStart(2, '0')}#${set.setId}`;
/** Every member partition of a set, in listing order. */
export const memberPartitionPks = (set: SetRef): string[] => Array.from({ length: MEMBER_SHARDS[set.kind] }, (_, shard) => memberPartitionPk(set, shard));
/** A member item's key: its set's partition for the member, `M#<memberId>`. */
export const memberKey = (set: SetRef, memberId: string): ItemKey => ({ pk: memberPartitionPk(set, memberShardOf(set.kind, memberId)), sk: memberSk(memberId) });
/** Where earlier versions kept a member: the set's own partition (read while a set still has such items). */
export const legacyMemberKey = (set: SetRef, memberId: string): ItemKey => ({ pk: setPk(set), sk: memberSk(memberId) });
/** `<member partition>` / `SHARD`: the partition's member count, floor copy and write lease. */
export const shardKey = (set: SetRef, shard: number): ItemKey => ({ pk: memberPartitionPk(set, shard), sk: SHARD_SK });

/** `<set pk>` / `IMPORT#<importId>`: a cohort import's report. */
export const importReportKey = (set: SetRef, importId: string): ItemKey => ({ pk: setPk(set), sk: `${IMPORT_SK_PREFIX}${importId}` });
/** `<set pk>` / `SYNC#<sync_task_id>`: one Heap sync run of a segment. */
export const syncRunKey = (set: SetRef, syncTaskId: string): ItemKey => ({ pk: setPk(set), sk: `${SYNC_SK_PREFIX}${syncTaskId}` });

/** Inverse of `setPk`. */
export const setFromPk = (pk: string): SetRef | undefined => {
  const match = /^([^#]+)#([CS])#(.*)$/s.exec(pk);
  const kind = match ? SET_KINDS[match[2] ?? ''] : undefined;
  return match && kind ? { workspaceId: match[1] ?? '', kind, setId: match[3] ?? '' } : undefined;
};

/** Inverse of `memberSk`. */
export const memberIdFromSk = (sk: string): string | undefined => (sk.startsWith(MEMBER_SK_PREFIX) ? sk.slice(MEMBER_SK_PREFIX.length) : undefined);

// ── events: Currents events, Currents and Heap rejects ──────────────────────────────────────────

/** Epoch ms as 15 digits, so sort keys order by time. */
export const padMs = (ms: number): string => Math.max(0, Math.floor(ms)).toString().padStart(15, '0');
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
/** `<ws>#U#<brazeId>`, or `<ws>#U#-` for events without a user. */
export const userEventsPk = (workspaceId: string, brazeId: string | undefined): string => `${workspaceId}#U#${brazeId ?? '-'}`;
/** `<time ms, 15 digits>#<eventId>`: an event's sort key (and its byType gsi1sk). */
export const eventSk = (timeMs: number, eventId: string): string => `${padMs(timeMs)}#${eventId}`;
/** Index byType: `gsi1pk = <ws>#T#<event_type>#<YYYY-MM-DD>`. */
export const typeDayPk = (workspaceId: string, eventType: string, day: string): string => `${workspaceId}#T#${eventType}#${day}`;
/** The lowest and highest sort keys of events with a time in [fromMs, toMs). */
export const eventSkRange = (fromMs: number, toMs: number): { from: string; to: string } => ({
  from: padMs(fromMs),
  // Every sk of a time below toMs sorts before `<toMs padded>` followed by '#'.
  to: padMs(toMs - 1) + '#\uffff',
});

/** Inverse of `eventSk`. */
export const eventFromSk = (sk: string): { timeMs: number; eventId: string } | undefined => {
  const match = /^(\d{15})#(.*)$/s.exec(sk);
  return match ? { timeMs: Number(match[1]), eventId: match[2] ?? '' } : undefined;
};

/** `<ws>#REJECTS` / `<receivedAt ms, 15 digits>#<batchId>#<index, 6 digits>`: a refused Currents event. */
export const currentsRejectKey = (workspaceId: string, receivedAt: number, batchId: string, index: number): ItemKey => ({
  pk: currentsRejectsPk(workspaceId),
  sk: `${padMs(receivedAt)}#${batchId}#${index.toString().padStart(6, '0')}`,
});
export const currentsRejectsPk = (workspaceId: string): string => `${workspaceId}#REJECTS`;

/** `<ws>#HEAPREJECTS` / `<receivedAt ms, 15 digits>#<random>`: a Heap delivery the hub could not use. */
export const heapRejectKey = (workspaceId: string, receivedAt: number, random: string): ItemKey => ({
  pk: heapRejectsPk(workspaceId),
  sk: `${padMs(receivedAt)}#${random}`,
});
export const heapRejectsPk = (workspaceId: string): string => `${workspaceId}#HEAPREJECTS`;

// ── deliveries: AB Tasty delivery reports ────────────────────────────────────────────────────────

/** `<ws>#DLV`: every delivery of the workspace, sort key = delivery id (sorts by start time). */
export const deliveriesPk = (workspaceId: string): string => `${workspaceId}#DLV`;
/** `<ws>#DLVS#<segmentId>`: the deliveries that carried or skipped one Heap segment (ids have no `#`). */
export const segmentDeliveriesPk = (workspaceId: string, segmentId: string): string => `${workspaceId}#DLVS#${segmentId}`;
/** `<ws>#WHK`: the change webhook's POSTs (docs/events.md); the webhook worker may put these items only. */
export const webhookDeliveriesPk = (workspaceId: string): string => `${workspaceId}#WHK`;

// ── idempotency: markers, Heap page log, rate windows (key attribute `id`) ───────────────────────

/** `<ws>#currents-event#<eventId>`: a processed Currents event. */
export const currentsEventMarkerId = (workspaceId: string, eventId: string): string => `${workspaceId}#currents-event#${eventId}`;
/** `heappage#<pageKey>`: the first receive time of a Heap page or drain delivery. */
export const heapPageId = (pageKey: string): string => `heappage#${pageKey}`;
/** `abtasty#<ws>#<account>#<partner>`: the AB Tasty push lease and coverage of one workspace's partner. */
export const abTastyDeliveryStateId = (leaseKey: string): string => `abtasty#${leaseKey}`;
/** `rate#<ws>#<windowStart>`: a fixed-window request counter. */
export const rateWindowId = (workspaceId: string, windowStart: number): string => `rate#${workspaceId}#${windowStart}`;

// ── workspaces ───────────────────────────────────────────────────────────────────────────────

/** `WS#<id>` / `META`: the workspace record. */
export const workspaceKey = (workspaceId: string): ItemKey => ({ pk: `WS#${workspaceId}`, sk: META_SK });
/** `NAME#<name>` / `NAME`: the unique-name claim. */
export const workspaceNameKey = (name: string): ItemKey => ({ pk: `NAME#${name}`, sk: 'NAME' });
/** `CRED#<kind>#<sha256>` / `CRED`: the credential index. */
export const credentialKey = (kind: string, hash: string): ItemKey => ({ pk: `CRED#${kind}#${hash}`, sk: 'CRED' });
export const PARTNER_KEY_SK_PREFIX = 'PARTNERKEY#';
/** `WS#<id>` / `PARTNERKEY#<partner>#<fingerprint>`: a partner key seen by a workspace. */
export const partnerKeySeenKey = (workspaceId: string, partner: string, fingerprint: string): ItemKey => ({
  pk: workspaceKey(workspaceId).pk,
  sk: `${PARTNER_KEY_SK_PREFIX}${partner}#${fingerprint}`,
});

// ── Braze export registry (workspaces table) and directory import reports (cohorts table) ──────

/** `BRAZEEXPORT` / `WS#<id>`: a workspace that exports a Braze segment (one Query lists them all). */
export const BRAZE_EXPORT_PK = 'BRAZEEXPORT';
export const brazeExportEntryKey = (workspaceId: string): ItemKey => ({ pk: BRAZE_EXPORT_PK, sk: `WS#${workspaceId}` });

/** `<ws>#DIRIMPORTS` / `<export start ms, 15 digits>#<importId>`: one directory import's report, newest export last. */
export const directoryImportsPk = (workspaceId: string): string => `${workspaceId}#DIRIMPORTS`;
export const directoryImportKey = (workspaceId: string, exportStartedAtMs: number, importId: string): ItemKey => ({
  pk: directoryImportsPk(workspaceId),
  sk: `${padMs(exportStartedAtMs)}#${importId}`,
});

// ── history: membership flips (adapters/history-store.ts) ──────────────────────────────────────

const digest = (value: string): string => createHash('sha256').update(value, 'utf8').digest('base64url');

/**
 * `<ws>#H#<C|S>#<sha256 of set id and member id>`: one member's flips in one set. Hashed because a
 * cohort id and a braze id may each take ~1 KB, more than a partition key holds together.
 */
export const memberHistoryPk = (set: SetRef, memberId: string): string =>
  `${set.workspaceId}#H#${SET_CODES[set.kind]}#${digest(JSON.stringify([set.setId, memberId]))}`;
/** `<version's 15-digit ms>#<sha256 of version and direction>`: time-ordered, and one key per (version, direction). */
export const flipSk = (version: string, direction: string): string => `${version.slice(0, 15)}#${digest(JSON.stringify([version, direction]))}`;
/** Index byMember: `gsi1pk = <ws>#<P|V>#<memberId>`, every history item of a member (its deletion). */
export const historyMemberPk = (workspaceId: string, kind: MemberKind, memberId: string): string => memberIndexPk(workspaceId, kind, memberId);

// ── history: the per-identifier decision log (adapters/decision-log.ts) ────────────────────────

/** `<ws>#D#<sha256 of cohort id and identifier key>`: one identifier's decisions in one cohort. */
export const decisionPk = (workspaceId: string, cohortId: string, identifierKey: string): string =>
  `${workspaceId}#D#${digest(JSON.stringify([cohortId, identifierKey]))}`;
/** `<import receive time, 15-digit ms>#<sha256 of the import id>`: newest last, one item per import. */
export const decisionSk = (receivedAtMs: number, importId: string): string => `${padMs(receivedAtMs)}#${digest(importId)}`;
/** Index byMember for a decision that matched no profile: `<ws>#I#<sha256 of the identifier key>` (a user's deletion). */
export const decisionIdentifierPk = (workspaceId: string, identifierKey: string): string => `${workspaceId}#I#${digest(identifierKey)}`;
