/**
 * Change event publishers (docs/events.md). In AWS: `PutEvents` on the stack's bus, in batches of
 * at most 10 entries, re-sending only the entries EventBridge reports as failed (with backoff);
 * what still fails after the tries throws, so the stream batch is retried. Locally: one JSON line
 * per event appended to `<dir>/membership-changed.jsonl`, the same shape EventBridge would deliver.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { CHANGE_EVENT_DETAIL_TYPE, CHANGE_EVENT_SOURCE } from '../domain/change-events';
import type { ChangeEventPublisher, MembershipChangedDetail } from '../domain/ports';
import { withoutSdkLogger } from './aws-clients';

/** EventBridge's limit of entries per PutEvents call. */
export const PUT_EVENTS_BATCH = 10;
const TRIES = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

const entryOf = (busName: string, detail: MembershipChangedDetail): PutEventsRequestEntry => ({
  EventBusName: busName,
  Source: CHANGE_EVENT_SOURCE,
  DetailType: CHANGE_EVENT_DETAIL_TYPE,
  Detail: JSON.stringify(detail),
  // Without a time EventBridge stamps the event when it receives it.
  ...(detail.changed_at ? { Time: new Date(detail.changed_at) } : {}),
});

/** Sends one batch of ≤ 10 entries, re-sending the failed ones until none fail or the tries are spent. */
const sendBatch = async (client: Pick<EventBridgeClient, 'send'>, entries: PutEventsRequestEntry[], backoffMs: number): Promise<void> => {
  let pending = entries;
  for (let attempt = 1; attempt <= TRIES; attempt += 1) {
    const answer = await client.send(new PutEventsCommand({ Entries: pending }));
    if (!answer.FailedEntryCount) return;
    // Results are positional: an entry with an ErrorCode failed and is re-sent.
    pending = pending.filter((_, i) => answer.Entries?.[i]?.ErrorCode !== undefined);
    if (pending.length === 0) return;
    if (attempt < TRIES) await sleep(backoffMs * 2 ** attempt);
  }
  throw new Error(`PutEvents: ${pending.length} entries still failed after ${TRIES} tries`);
};

/** Publishes to an EventBridge bus (retrying failed entries; throws when some never go through). */
export const eventBridgePublisher = (client: Pick<EventBridgeClient, 'send'>, busName: string, backoffMs = 50): ChangeEventPublisher => ({
  publish: async (details) => {
    for (const batch of chunks(details, PUT_EVENTS_BATCH)) {
      await sendBatch(client, batch.map((detail) => entryOf(busName, detail)), backoffMs);
    }
  },
});

/** The local stand-in: each event as one JSON line (`source`, `detail-type`, `detail`) in `<dir>/membership-changed.jsonl`. */
export const folderPublisher = (dir: string): ChangeEventPublisher => ({
  publish: async (details) => {
    if (details.length === 0) return;
    await mkdir(dir, { recursive: true });
    const lines = details.map((detail) => JSON.stringify({ source: CHANGE_EVENT_SOURCE, 'detail-type': CHANGE_EVENT_DETAIL_TYPE, detail }));
    await appendFile(join(dir, CHANGE_EVENTS_FILE), `${lines.join('\n')}\n`);
  },
});

export const CHANGE_EVENTS_FILE = 'membership-changed.jsonl';

/** The publisher for this process: the local folder when `HUB_LOCAL_EVENTS_DIR` is set, else the bus. */
export const changeEventPublisherFor = (env: { localDir?: string; busName?: string }): ChangeEventPublisher => {
  if (env.localDir) return folderPublisher(env.localDir);
  if (!env.busName) throw new Error('CHANGE_EVENT_BUS_NAME is not set (and no HUB_LOCAL_EVENTS_DIR)');
  return eventBridgePublisher(withoutSdkLogger(new EventBridgeClient({})), env.busName);
};
