/**
 * Data for the console's browser suite, sent through the real partner routes of a test hub: 300
 * users by Braze Currents, a cohort with three imports (some identifiers unknown), a Segment
 * audience, one refused Currents request and one Currents reject.
 */
import { eventually, type TestHub } from '../harness';
import type { WorkspaceCredentials } from '../../../functions/schemas/workspace';

export const USERS = 300;
export const COHORT_ID = 'vip-buyers';

const currentsEvent = (index: number, t0: number) => ({
  id: `console-e${index}`,
  event_type: 'users.behaviors.app.SessionStart',
  time: t0 + index,
  user: { user_id: `braze${String(index).padStart(6, '0')}`, external_user_id: `customer-${index}`, device_id: `device-${index}` },
  properties: {},
});

export const sendCurrents = (hub: TestHub, ws: WorkspaceCredentials, events: unknown[], token = ws.currentsToken) =>
  hub.request('POST', `/currents?workspace=${ws.workspaceId}`, { body: { events }, headers: { Authorization: `Bearer ${token}`, 'Braze-Currents-Version': '1' } });

const importIds = (hub: TestHub, ws: WorkspaceCredentials, externalIds: string[]) =>
  hub.request('POST', '/partners/heap/cohorts/users', {
    body: { partner_api_key: 'heap-key', client_secret: ws.dataImportKey, cohort_id: COHORT_ID, cohort_changes: [{ user_ids: externalIds, device_ids: [], aliases: [] }] },
  });

/** Writes the fixture and waits until every import is applied. */
export const seedConsoleData = async (hub: TestHub, ws: WorkspaceCredentials): Promise<void> => {
  const t0 = Math.floor(Date.now() / 1000) - 3600;
  for (let start = 0; start < USERS; start += 100) {
    const batch = Array.from({ length: 100 }, (_, offset) => currentsEvent(start + offset, t0));
    expect((await sendCurrents(hub, ws, batch)).status).toBe(200);
  }
  expect((await sendCurrents(hub, ws, [{ id: 'odd', event_type: 'users.behaviors.CustomEvent' }])).status).toBe(200);
  expect((await sendCurrents(hub, ws, [], 'hub_cur_wrong')).status).toBe(401);
  const api = (path: string) => hub.request('GET', path, { headers: { Authorization: `Bearer ${ws.apiKey}` } });
  await eventually(async () => ((await api(`/v1/users?external_id=customer-${USERS - 1}`)).status === 200 ? true : undefined), 60_000, 'the directory built from Currents');
  const created = await hub.request('POST', '/partners/heap/cohorts', { body: { partner_api_key: 'heap-key', client_secret: ws.dataImportKey, cohort_id: COHORT_ID, name: 'VIP buyers', created_at: new Date().toISOString() } });
  expect(created.status).toBe(201);
  const imports = [
    Array.from({ length: 120 }, (_, index) => `customer-${index}`),
    [...Array.from({ length: 80 }, (_, index) => `customer-${120 + index}`), 'nobody-1', 'nobody-2', 'nobody-3'],
    ['customer-250', 'customer-251', 'nobody-4'],
  ];
  const ids: string[] = [];
  for (const externalIds of imports) {
    const answer = await importIds(hub, ws, externalIds);
    expect(answer.status).toBe(201);
    ids.push((answer.body as { import_id: string }).import_id);
  }
  const segment = await hub.request('POST', `/segment/audiences/${ws.workspaceId}`, {
    body: {
      type: 'track',
      event: 'Audience Entered',
      userId: 'customer-7',
      messageId: 'console-m1',
      timestamp: new Date().toISOString(),
      properties: { audience_key: 'cart_abandoners', cart_abandoners: true },
      context: { personas: { computation_class: 'audience', computation_id: 'aud_cart', computation_key: 'cart_abandoners' } },
    },
    headers: { Authorization: `Bearer ${ws.segmentToken}` },
  });
  expect(segment.status).toBe(200);
  for (const id of ids) {
    await eventually(async () => {
      const report = await api(`/v1/cohorts/${COHORT_ID}/imports/${id}`);
      return (report.body as { status?: string } | undefined)?.status === 'applied' ? true : undefined;
    }, 60_000, `import ${id} applied`);
  }
};
