/**
 * Braze Currents: 100,000 events in batches of 100 (mixed types, 5 % duplicates re-sent in later
 * batches, 2,000 users at full size), from HTTP request to stored events and directory.
 * Ideal DynamoDB requests per event: one BatchWriteItem per 25 events stored, one BatchGetItem per
 * 100 for the directory lookup. Counted: every DynamoDB call of ingest and worker (the archive's S3
 * PUTs are not DynamoDB requests; `archiveObjects` in the worker's stats counts them).
 */
import { profileKey } from '../../../functions/adapters/dynamo/keys';
import { eventItem } from '../../../functions/adapters/events-store';
import type { Scenario } from '../run';
import { timedLoad } from '../stats';
import { summarise, waitForPipeline } from './common';

const BATCH = 100;
/** The floor's receive time and TTL: fixed, like every other attribute of its items. */
const FLOOR_RECEIVED_AT = 1_764_000_000_000;
const FLOOR_EXPIRES_AT = 1_766_592_000;
const TYPES = [
  'users.behaviors.CustomEvent',
  'users.behaviors.Purchase',
  'users.behaviors.app.SessionStart',
  'users.messages.email.Send',
  'users.messages.pushnotification.Open',
  'users.campaigns.Conversion',
] as const;

/**
 * A Currents event for user `u` (2,000 users; half identified), deterministic per index. The
 * braze id is `u` in hex padded with zeros: padded with `c` (a hex digit) users 0x0–0xf and
 * 0xc0–0xcf shared a braze id under two external_ids, a rename on every other event.
 */
export const benchEvent = (index: number, users = 2000) => {
  const u = index % users;
  const type = TYPES[index % TYPES.length] ?? 'users.behaviors.CustomEvent';
  return {
    id: `bench-event-${index}`,
    event_type: type,
    time: 1_763_900_000 + Math.floor(index / 10),
    user: {
      user_id: u.toString(16).padStart(24, '0'),
      device_id: `bench-device-${u}`,
      ...(u % 2 === 0 ? { external_user_id: `bench-customer-${u}` } : {}),
      timezone: 'Europe/Paris',
    },
    properties: {
      app_group_id: 'bench-app-group',
      ...(type === 'users.behaviors.CustomEvent' ? { name: 'viewed_item', custom_properties: { sku: `sku-${index % 97}`, price: index % 50 } } : {}),
      ...(type === 'users.behaviors.Purchase' ? { product_id: `p-${index % 31}`, price: 9.99, currency: 'EUR', purchase_properties: { size: 'M' } } : {}),
    },
  };
};

export const currentsScenario: Scenario = {
  name: 'currents',
  async run(context) {
    const total = Math.max(1000, Math.round(100_000 * context.scale));
    // 50 events per user at every scale, so the quick run has the same new/known user mix.
    const users = Math.max(20, Math.round(2000 * context.scale));
    const workspace = await context.createWorkspace();
    const batches = total / BATCH;
    const unique = Math.round(total * 0.95);
    // Batch b carries 95 new events and 5 events already sent in an earlier batch (at-least-once delivery).
    let nextNew = 0;
    const bodies = Array.from({ length: batches }, (_, batch) => {
      const events = [];
      for (let slot = 0; slot < BATCH; slot += 1) {
        const duplicate = slot >= 95 && batch > 0;
        const index = duplicate ? Math.floor((nextNew * (slot - 94)) / 7) % Math.max(1, nextNew) : nextNew++;
        events.push(benchEvent(Math.min(index, unique - 1), users));
      }
      return JSON.stringify({ events });
    });

    context.counter.reset();
    const started = performance.now();
    await timedLoad(bodies.length, context.concurrency, async (index) => {
      const response = await fetch(`${context.hub.url}/currents`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${workspace.currentsToken}`, 'Braze-Currents-Version': '1' },
        body: bodies[index],
      });
      if (response.status !== 200) throw new Error(`currents answered ${response.status}: ${await response.text()}`);
    });
    await waitForPipeline(context, 'currents', () => Promise.resolve(true));
    const seconds = (performance.now() - started) / 1000;

    return summarise(context, {
      changes: total,
      seconds,
      unit: 'events/s',
      idealRequestsPerChange: 1 / 25 + 1 / 100,
      floorTable: context.hub.tables.events,
      // The event item exactly as the hub stores it (adapters/events-store.ts eventItem): its user's
      // partition, its byType index key and the event as JSON text, under the floor's own workspace.
      floorItem: (index) => {
        const event = benchEvent(index, users);
        return eventItem({ workspaceId: 'floor', brazeId: event.user.user_id, event, receivedAt: FLOOR_RECEIVED_AT, expiresAt: FLOOR_EXPIRES_AT });
      },
      // Each event's user profile, the directory lookup the ideal counts (one BatchGetItem per 100).
      floorLookup: { table: context.hub.tables.users, key: (index) => profileKey(workspace.workspaceId, benchEvent(index, users).user.user_id) },
      extra: { batches, users, duplicatesSent: total - nextNew },
    });
  },
};
