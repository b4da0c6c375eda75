/** Ports of Braze Currents events (events and idempotency tables). */
import type { CurrentsEvent, CurrentsReject } from '../../schemas/currents';

/** What the Currents worker needs from the events storage (adapters/events-store.ts). */
export interface EventsPort {
  processed(workspaceId: string, eventIds: readonly string[], nowSeconds: number): Promise<Set<string>>;
  markProcessed(workspaceId: string, eventIds: readonly string[], expiration: number, now: string): Promise<void>;
  putEvents(
    events: readonly { workspaceId: string; brazeId: string | undefined; event: CurrentsEvent; receivedAt: number; expiresAt: number }[],
  ): Promise<void>;
  putRejects(rejects: readonly { workspaceId: string; receivedAt: number; batchId: string; reject: CurrentsReject; expiresAt: number }[]): Promise<void>;
  deleteUserEvents(workspaceId: string, brazeId: string, keep?: (eventId: string) => boolean): Promise<number>;
}

/** One archive object: a key under the archive bucket and its gzip-compressed JSON lines (domain/event-archive.ts builds them). */
export interface ArchiveObject {
  readonly key: string;
  readonly body: Uint8Array;
}

/**
 * The full history of Currents events, for analysts (adapters/event-archive.ts: S3 PutObject in AWS,
 * a folder locally). Each object is written whole and overwritten whole: a redelivered message writes
 * the same keys with the same bytes.
 */
export interface EventArchive {
  append(objects: readonly ArchiveObject[]): Promise<void>;
}
