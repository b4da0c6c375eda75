/**
 * End to end across protocols: the directory is built only through its own write paths (Braze
 * Currents events and the Braze-shaped alias API), then Braze cohort imports match against it.
 */
import { eventually, startTestHub, type TestHub } from './harness';
import type { WorkspaceCredentials } from '../../functions/schemas/workspace';

describe('identities from Currents and the alias API, matched by cohort imports', () => {
  let hub: TestHub;
  let ws: WorkspaceCredentials;
  const anonymous = 'a00000000000000000000001';
  const identified = 'a00000000000000000000002';
  const t0 = 1_763_900_000;

  beforeAll(async () => {
    hub = await startTestHub({ visibilitySeconds: 10 });
    ws = await hub.createWorkspace();
  });
  afterAll(() => hub.stop());

  const currents = (events: unknown[]) =>
    hub.request('POST', '/currents', { body: { events }, headers: { Authorization: `Bearer ${ws.currentsToken}`, 'Braze-Currents-Version': '1' } });
  const user = (query: string) => hub.request('GET', `/v1/users?${query}`, { headers: { Authorization: `Bearer ${ws.apiKey}` } });
  const importDelta = (cohortId: string, changes: unknown[]) =>
    hub.request('POST', '/partners/segment/cohorts/users', {
      body: { partner_api_key: 'segment-key', client_secret: ws.dataImportKey, cohort_id: cohortId, cohort_changes: changes },
    });
  const members = async (cohortId: string) => {
    const response = await hub.request('GET', `/v1/cohorts/${encodeURIComponent(cohortId)}/members`, { headers: { Authorization: `Bearer ${ws.apiKey}` } });
    return response.status === 200 ? (response.body.members as { braze_id: string }[]).map((m) => m.braze_id).sort() : [];
  };
  const report = async (cohortId: string, importId: string) =>
    eventually(async () => {
      const response = await hub.request('GET', `/v1/cohorts/${encodeURIComponent(cohortId)}/imports/${importId}`, { headers: { Authorization: `Bearer ${ws.apiKey}` } });
      return response.status === 200 && response.body.status === 'applied' ? response.body : undefined;
    }, 30_000, `import ${importId} applied`);

  it('matches by external id and alias, and never by the device id a profile had while anonymous', async () => {
    // Arrange: profile 1 stays anonymous on device D1; profile 2 starts anonymous on D2, then is identified.
    const setup = await currents([
      { id: 'e1', event_type: 'users.behaviors.app.SessionStart', time: t0, user: { user_id: anonymous, device_id: 'D1' }, properties: {} },
      { id: 'e2', event_type: 'users.behaviors.app.SessionStart', time: t0, user: { user_id: identified, device_id: 'D2' }, properties: {} },
      { id: 'e3', event_type: 'users.behaviors.CustomEvent', time: t0 + 60, user: { user_id: identified, external_user_id: 'customer-2', device_id: 'D2' }, properties: { name: 'login' } },
    ]);
    expect(setup.status).toBe(200);
    await eventually(async () => {
      const response = await user('external_id=customer-2');
      return response.status === 200 ? response.body : undefined;
    }, 30_000, 'customer-2 in the directory');
    const alias = await hub.request('POST', '/users/alias/new', {
      body: { user_aliases: [{ external_id: 'customer-2', alias_label: 'email', alias_name: 'two@example.com' }] },
      headers: { Authorization: `Bearer ${ws.apiKey}` },
    });
    expect(alias.status).toBe(201);
    await eventually(async () => ((await user('device_id=D1')).status === 200 ? true : undefined), 30_000, 'D1 in the directory');

    // Act
    const byDevice = await importDelta('devices', [{ user_ids: [], device_ids: ['D1', 'D2'], aliases: [] }]);
    const byIds = await importDelta('identified', [{ user_ids: ['customer-2'], device_ids: [], aliases: [] }]);
    const byAlias = await importDelta('by-alias', [{ user_ids: [], device_ids: [], aliases: { alias_label: 'email', alias_name: 'two@example.com' } }]);

    // Assert
    const deviceReport = await report('devices', byDevice.body.import_id);
    await report('identified', byIds.body.import_id);
    await report('by-alias', byAlias.body.import_id);
    expect(await members('devices')).toEqual([anonymous]);
    expect(deviceReport).toMatchObject({ matched: 1, unmatched: 1 });
    expect(await members('identified')).toEqual([identified]);
    expect(await members('by-alias')).toEqual([identified]);
  });

  it('an orphan merge moves cohort membership to the surviving profile', async () => {
    // Arrange: an anonymous profile in a cohort, then identified with customer-2, which profile 2 already holds.
    const orphan = 'a00000000000000000000003';
    await currents([{ id: 'e10', event_type: 'users.behaviors.app.SessionStart', time: t0 + 100, user: { user_id: orphan, device_id: 'D3' }, properties: {} }]);
    await eventually(async () => ((await user('device_id=D3')).status === 200 ? true : undefined), 30_000, 'D3 in the directory');
    const added = await importDelta('orphans', [{ user_ids: [], device_ids: ['D3'], aliases: [] }]);
    await report('orphans', added.body.import_id);
    expect(await members('orphans')).toEqual([orphan]);

    // Act
    await currents([{ id: 'e11', event_type: 'users.UserOrphan', time: t0 + 200, user: { user_id: orphan }, properties: { orphaned_by_id: identified } }]);

    // Assert
    const moved = await eventually(async () => {
      const list = await members('orphans');
      return list.length === 1 && list[0] === identified ? list : undefined;
    }, 30_000, 'membership moved to the survivor');
    expect(moved).toEqual([identified]);
  });
});
