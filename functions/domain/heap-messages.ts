/**
 * The heapSync messages a verified Heap webhook becomes: the parts of a `segment.users.sync` page,
 * or one drain. Each message's `dedupeKey` is its idempotency key; versions order them against
 * every other change to the segment.
 */
import { createHash } from 'node:crypto';
import type { HeapSyncMessage } from '../schemas/heap';
import { changeVersion, type MembershipChange } from './membership';
import { chunkToFit } from './message-chunks';

/** Page numbers are zero-padded in versions so that page 10 sorts after page 9. */
const pad = (page: number) => page.toString().padStart(6, '0');
/** Longer segment names are cut rather than refused: a 400 would make Heap retry the page forever. */
export const MAX_NAME_LENGTH = 1024;
/** Placeholder wide enough for any real part number, so re-numbering never grows a message. */
const PART_PLACEHOLDER = 99_999;

/** Where the webhook's work lands; also the idempotency key of each message. */
export const pageDedupeKey = (workspaceId: string, syncTaskId: string, pageNumber: number, part: number): string =>
  `heap#${workspaceId}#${syncTaskId}#${pageNumber}#${part}`;

export interface SyncPage {
  readonly workspaceId: string;
  readonly segmentId: string;
  readonly segmentName: string | undefined;
  readonly syncTaskId: string;
  readonly pageNumber: number;
  readonly totalPages: number;
  readonly receivedAt: number;
  /** Time the version is built from: the page's first receive time (defaults to `receivedAt`). */
  readonly versionAt?: number;
  readonly changes: readonly MembershipChange[];
}

/**
 * Builds the messages of one sync page, each fitting a queue message (`fits`; undefined if one
 * change alone cannot). Changes are collapsed first (a visitor in both `add` and `remove` is
 * removed), so a visitor appears in exactly one message of the page: two messages of the same
 * version could otherwise see each other's write as "same version, stale".
 */
export const syncPageMessages = (input: SyncPage, fits: (body: string) => boolean): string[] | undefined => {
  const base: Omit<HeapSyncMessage, 'add' | 'remove' | 'part' | 'parts' | 'dedupeKey'> = {
    type: 'sync',
    workspaceId: input.workspaceId,
    segmentId: input.segmentId,
    ...(input.segmentName !== undefined ? { segmentName: input.segmentName } : {}),
    version: changeVersion(input.versionAt ?? input.receivedAt, `${input.syncTaskId}#${pad(input.pageNumber)}`),
    receivedAt: new Date(input.receivedAt).toISOString(),
    syncTaskId: input.syncTaskId,
    pageNumber: input.pageNumber,
    totalPages: input.totalPages,
    round: 0,
  };
  const toBody = (chunk: readonly MembershipChange[]): string => {
    const message: HeapSyncMessage = {
      dedupeKey: pageDedupeKey(input.workspaceId, input.syncTaskId, input.pageNumber, PART_PLACEHOLDER),
      ...base,
      part: PART_PLACEHOLDER,
      parts: PART_PLACEHOLDER,
      add: chunk.filter((change) => change.op === 'add').map((change) => change.memberId),
      remove: chunk.filter((change) => change.op === 'remove').map((change) => change.memberId),
    };
    return JSON.stringify(message);
  };
  // An empty page is still queued: it records the sync run's progress and the segment's name.
  const bodies = input.changes.length === 0 ? [toBody([])] : chunkToFit(input.changes, toBody, fits);
  // The split is deterministic (same page → same parts), so a re-sent page maps to the same keys.
  return bodies?.map((body, part) => {
    const message = JSON.parse(body) as HeapSyncMessage;
    return JSON.stringify({
      ...message,
      dedupeKey: pageDedupeKey(input.workspaceId, input.syncTaskId, input.pageNumber, part),
      part,
      parts: bodies.length,
    });
  });
};

/**
 * Identity of a drain delivery: its signed timestamp and its body. Heap's retry of one delivery
 * (same `Heap-Hash` timestamp, same bytes) is the same drain and keeps the version of its first
 * receive; a drain signed at a new timestamp is a new drain.
 */
export const drainKey = (workspaceId: string, segmentId: string, signedTs: string, rawBody: string): string =>
  `${workspaceId}#drain#${segmentId}#${signedTs}#${createHash('sha256').update(rawBody, 'utf8').digest('hex').slice(0, 32)}`;

/** The one message of a drain, versioned at `versionAt` (its first receive time). */
export const drainMessage = (input: { key: string; workspaceId: string; segmentId: string; segmentName: string | undefined; versionAt: number; receivedAt: number }): string => {
  const message: HeapSyncMessage = {
    dedupeKey: `heap#${input.key}`,
    type: 'drain',
    workspaceId: input.workspaceId,
    segmentId: input.segmentId,
    ...(input.segmentName !== undefined ? { segmentName: input.segmentName.slice(0, MAX_NAME_LENGTH) } : {}),
    version: changeVersion(input.versionAt, 'drain'),
    receivedAt: new Date(input.receivedAt).toISOString(),
    part: 0,
    parts: 1,
    add: [],
    remove: [],
    round: 0,
  };
  return JSON.stringify(message);
};
