/**
 * Membership history and trace on the local stack: cohort imports that add, re-add, remove, name an
 * unknown and a device-of-identified identifier; the cohorts table's stream (DynamoDB Local) feeds
 * the same consumer Lambda runs; the history lists exactly the applied flips with their import ids,
 * the trace explains each identifier, and after a Currents UserOrphan it follows the merge.
 */
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { directoryStore } from '../../functions/adapters/directory';
import { claimKey } from '../../functions/adapters/dynamo/keys';
import type { WorkspaceCredentials } from '../../functions/schemas/workspace';
import { eventually, startTestHub, type TestHub, importCohortChange } from './harness';

const COHORT = 'history-cohort';

describe('membership history and trace through the local stack', () => {
  let hub: TestHub;
  let creds: WorkspaceCredentials;
  const now = new Date().toISOString();
  const read = (path: string) => hub.request('GET', path, { headers: { Authorization: `Bearer ${creds.apiKey}` } });
  const importChange = (change: Record<string, unknown>) => importCohortChange(hub, creds, COHORT, change);
  const history = (brazeId: string, count: number) =>
    eventually(async () => {
      const flips = (await read(`/v1/cohorts/${COHORT}/members/${brazeId}/history`)).body?.flips as { direction: string; source: { importId?: string; kind: string } }[] | undefined;
      return flips && flips.length >= count ? flips : undefined;
    }, 20000, `${count} flips of ${brazeId}`);

  beforeAll(async () => {
    hub = await startTestHub({ visibilitySeconds: 5, streamPollers: true });
    creds = await hub.createWorkspace({ partnerName: 'heap' });
    const ws = creds.workspaceId;
    const directory = directoryStore(hub.doc, { users: hub.tables.users, aliases: hub.tables.aliases });
    await directory.createProfile(ws, 'b-known', now);
    expect(await directory.claim(ws, 'b-known', { kind: 'device_id', value: 'dev-known' }, now)).toBe('claimed');
    expect(await directory.claim(ws, 'b-known', { kind: 'external_id', value: 'user-known' }, now)).toBe('claimed');
    await hub.doc.send(new UpdateCommand({ TableName: hub.tables.aliases, Key: claimKey(ws, 'dev#dev-known'), UpdateExpression: 'SET ownerIdentified = :t', ExpressionAttributeValues: { ':t': true } }));
  });
  afterAll(() => hub.stop());

  it('records exactly the applied flips, with their import ids', async () => {
    const added = await importChange({ user_ids: ['user-known', 'user-ghost'], device_ids: ['dev-known'] });
    const readded = await importChange({ user_ids: ['user-known'] });
    const removed = await importChange({ user_ids: ['user-known'], should_remove: true });
    const flips = await history('b-known', 2);
    expect(flips.map((flip) => [flip.direction, flip.source.kind, flip.source.importId])).toEqual([
      ['entered', 'cohort_import', added],
      ['exited', 'cohort_import', removed],
    ]);
    expect(flips.some((flip) => flip.source.importId === readded)).toBe(false);
    // Nothing more arrives later for the duplicate: the re-add changed no status.
    const again = await read(`/v1/cohorts/${COHORT}/members/b-known/history`);
    expect(again.body.flips).toHaveLength(2);
  });

  it('traces an unknown identifier as never_seen and a device of an identified profile as such', async () => {
    const unknown = await read(`/v1/trace?cohort_id=${COHORT}&external_id=user-ghost`);
    expect(unknown.status).toBe(200);
    expect(unknown.body.resolution.status).toBe('never_seen');
    expect(unknown.body.membership.member).toBe(false);
    const device = await read(`/v1/trace?cohort_id=${COHORT}&device_id=dev-known`);
    expect(device.body.resolution).toMatchObject({ status: 'device_of_identified_profile', owner_braze_id: 'b-known' });
    const known = await read(`/v1/trace?cohort_id=${COHORT}&external_id=user-known`);
    expect(known.body.resolution).toMatchObject({ status: 'resolved', braze_id: 'b-known' });
    expect(known.body.flips.map((flip: { direction: string }) => flip.direction)).toEqual(['entered', 'exited']);
    expect((await read(`/v1/trace?cohort_id=${COHORT}`)).status).toBe(400);
  });

  it('follows a Currents UserOrphan merge', async () => {
    const ws = creds.workspaceId;
    const directory = directoryStore(hub.doc, { users: hub.tables.users, aliases: hub.tables.aliases });
    await directory.createProfile(ws, 'b-orphan', now);
    expect(await directory.claim(ws, 'b-orphan', { kind: 'device_id', value: 'dev-orphan' }, now)).toBe('claimed');
    await directory.createProfile(ws, 'b-survivor', now);
    const joined = await importChange({ device_ids: ['dev-orphan'] });
    await history('b-orphan', 1);
    const orphan = {
      id: `evt-orphan-${Date.now()}`,
      event_type: 'users.UserOrphan',
      time: Math.floor(Date.now() / 1000),
      user: { user_id: 'b-orphan' },
      properties: { app_group_id: 'ag', orphaned_by_id: 'b-survivor' },
    };
    const posted = await hub.request('POST', '/currents', { body: { events: [orphan] }, headers: { Authorization: `Bearer ${creds.currentsToken}` } });
    expect(posted.status).toBe(200);
    const survivorFlips = await history('b-survivor', 1);
    expect(survivorFlips[0]).toMatchObject({ direction: 'entered', source: { kind: 'orphan_merge', mergedFrom: 'b-orphan', mergedInto: 'b-survivor' } });
    const orphanFlips = await history('b-orphan', 2);
    expect(orphanFlips.map((flip) => [flip.direction, flip.source.kind])).toEqual([
      ['entered', 'cohort_import'],
      ['exited', 'orphan_merge'],
    ]);
    expect(orphanFlips[0]?.source.importId).toBe(joined);
    const trace = await read(`/v1/trace?cohort_id=${COHORT}&braze_id=b-orphan`);
    expect(trace.body.resolution).toMatchObject({ status: 'merged_into', braze_id: 'b-survivor', merge_chain: ['b-orphan', 'b-survivor'] });
    expect(trace.body.membership.member).toBe(true);
  });

  it('forgets a deleted user: Currents users.UserDeleteRequest removes their history, the trace says deleted', async () => {
    const ws = creds.workspaceId;
    const directory = directoryStore(hub.doc, { users: hub.tables.users, aliases: hub.tables.aliases });
    await directory.createProfile(ws, 'b-gone', now);
    expect(await directory.claim(ws, 'b-gone', { kind: 'external_id', value: 'user-gone' }, now)).toBe('claimed');
    await importChange({ user_ids: ['user-gone'] });
    await history('b-gone', 1);
    const deletion = { id: `evt-delete-${Date.now()}`, event_type: 'users.UserDeleteRequest', time: Math.floor(Date.now() / 1000), user: { user_id: 'b-gone' }, properties: { app_group_id: 'ag' } };
    expect((await hub.request('POST', '/currents', { body: { events: [deletion] }, headers: { Authorization: `Bearer ${creds.currentsToken}` } })).status).toBe(200);
    const trace = await eventually(async () => {
      const answer = await read(`/v1/trace?cohort_id=${COHORT}&braze_id=b-gone`);
      return answer.body?.resolution?.status === 'deleted' && answer.body.flips.length === 0 && answer.body.membership.member === false ? answer.body : undefined;
    }, 20000, 'the deletion');
    expect(trace.flips).toEqual([]);
    expect((await read(`/v1/trace?cohort_id=${COHORT}&external_id=user-gone`)).body.resolution.status).toBe('never_seen');
    // The stream's exit (source user_deletion) arrives after the deletion: it must not bring a flip back.
    await eventually(async () => {
      const cohortItem = await hub.doc.send(new ScanCommand({ TableName: hub.tables.cohorts, FilterExpression: 'memberId = :m AND #s = :r', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':m': 'b-gone', ':r': 'removed' } }));
      return (cohortItem.Items ?? []).length === 1 ? true : undefined;
    }, 20000, 'the tombstone');
    const stored = await hub.doc.send(new ScanCommand({ TableName: hub.tables.history, FilterExpression: 'memberId = :m', ExpressionAttributeValues: { ':m': 'b-gone' } }));
    expect(stored.Items ?? []).toEqual([]);
  });
});
