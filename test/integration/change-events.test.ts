/**
 * Change events out on the local stack (docs/events.md): cohort imports that add, re-add
 * (duplicate) and remove; the cohorts table's stream feeds the same consumer Lambda runs, which
 * publishes through the local folder adapter. Exactly one `audience.membership.changed` per
 * applied flip, matching the recorded history and naming the profile's external id; the
 * duplicate re-add publishes nothing.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CHANGE_EVENTS_FILE } from '../../functions/adapters/change-events';
import { directoryStore } from '../../functions/adapters/directory';
import type { MembershipChangedDetail } from '../../functions/domain/ports';
import type { WorkspaceCredentials } from '../../functions/schemas/workspace';
import { eventually, startTestHub, type TestHub, importCohortChange } from './harness';

const COHORT = 'events-cohort';

describe('change events through the local stack', () => {
  let hub: TestHub;
  let creds: WorkspaceCredentials;
  const read = (path: string) => hub.request('GET', path, { headers: { Authorization: `Bearer ${creds.apiKey}` } });
  const importChange = (change: Record<string, unknown>) => importCohortChange(hub, creds, COHORT, change);
  /** Every published event of this workspace, as the local adapter wrote them. */
  const published = async (): Promise<{ source: string; 'detail-type': string; detail: MembershipChangedDetail }[]> => {
    const text = await readFile(join(hub.eventsDir, CHANGE_EVENTS_FILE), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .filter((event) => event.detail.workspace_id === creds.workspaceId);
  };
  const awaitEvents = (count: number) => eventually(async () => ((await published()).length >= count ? published() : undefined), 20000, `${count} change events`);

  beforeAll(async () => {
    hub = await startTestHub({ visibilitySeconds: 5, streamPollers: true });
    creds = await hub.createWorkspace({ partnerName: 'heap' });
    const directory = directoryStore(hub.doc, { users: hub.tables.users, aliases: hub.tables.aliases });
    const now = new Date().toISOString();
    await directory.createProfile(creds.workspaceId, 'b-events', now);
    expect(await directory.claim(creds.workspaceId, 'b-events', { kind: 'external_id', value: 'user-events' }, now)).toBe('claimed');
  });
  afterAll(() => hub.stop());

  it('publishes exactly one event per applied flip, and nothing for a duplicate re-add', async () => {
    const added = await importChange({ user_ids: ['user-events'] });
    await awaitEvents(1);
    const readded = await importChange({ user_ids: ['user-events'] });
    const removed = await importChange({ user_ids: ['user-events'], should_remove: true });
    // One member item's stream records are delivered in order: once the removal's event is out,
    // the re-add's record has been consumed too, so a stray event for it could not come later.
    const events = await awaitEvents(2);
    expect(events.map((event) => [event.source, event['detail-type']])).toEqual([
      ['audience-hub', 'audience.membership.changed'],
      ['audience-hub', 'audience.membership.changed'],
    ]);
    expect(events.map(({ detail }) => [detail.set_kind, detail.set_id, detail.member, detail.direction, detail.source?.importId])).toEqual([
      ['cohort', COHORT, { braze_id: 'b-events', external_id: 'user-events' }, 'entered', added],
      ['cohort', COHORT, { braze_id: 'b-events', external_id: 'user-events' }, 'exited', removed],
    ]);
    expect(events.some(({ detail }) => detail.source?.importId === readded)).toBe(false);
    expect(new Set(events.map(({ detail }) => detail.event_id)).size).toBe(2);
    // The same flips as the recorded history, version for version.
    const history = (await read(`/v1/cohorts/${COHORT}/members/b-events/history`)).body.flips as { direction: string; version: string }[];
    expect(events.map(({ detail }) => [detail.direction, detail.version])).toEqual(history.map((flip) => [flip.direction, flip.version]));
  });
});
