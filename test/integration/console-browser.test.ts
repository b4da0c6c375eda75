/**
 * The web console in a real browser: Debian's Chromium driven by playwright-core, against a test
 * hub whose data came through the partner routes (console/fixtures.ts). Fails — never skips — when
 * no browser starts. Screenshots of every view at 1280 px and 390 px go to test-output/console/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { WorkspaceCredentials } from '../../functions/schemas/workspace';
import { COHORT_ID, seedConsoleData, sendCurrents } from './console/fixtures';
import { eventually, startTestHub, type TestHub } from './harness';

const CHROMIUM = process.env.HUB_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = join(__dirname, '..', '..', 'test-output', 'console');
const AXE = require.resolve('axe-core/axe.min.js');

jest.setTimeout(180_000);

describe('web console in Chromium', () => {
  let hub: TestHub;
  let ws: WorkspaceCredentials;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    hub = await startTestHub({ visibilitySeconds: 10, streamPollers: true });
    ws = await hub.createWorkspace();
    await seedConsoleData(hub, ws);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  const signIn = async (page: Page, apiKey: string, adminKey?: string) => {
    await page.goto(`${hub.url}/console`);
    await page.fill('#api-key', apiKey);
    if (adminKey) await page.fill('#admin-key', adminKey);
    await page.click('[data-testid=signin] button[type=submit]');
  };

  /** No serious or critical axe-core violations on the page as it is now. */
  const expectAccessible = async (page: Page, view: string) => {
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async () => {
      const result = await (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }).axe.run();
      return result.violations.filter((each) => each.impact === 'serious' || each.impact === 'critical').map((each) => `${each.id} (${each.nodes.length})`);
    });
    expect({ view, violations }).toEqual({ view, violations: [] });
  };

  const shoot = async (page: Page, name: string) => {
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  };

  it('a wrong key shows an error and reads nothing; the page runs under its CSP without violations', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cspErrors: string[] = [];
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) cspErrors.push(message.text());
    });
    const apiCalls: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/v1/')) apiCalls.push(new URL(request.url()).pathname);
    });
    await signIn(page, 'hub_api_wrong');
    await page.waitForSelector('[role=alert]');
    expect(await page.textContent('[role=alert]')).toContain('Wrong API key');
    expect(apiCalls).toEqual(['/v1/connections']);
    expect(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { length: number } }).sessionStorage.length)).toBe(0);
    await shoot(page, 'signin-wrong-key');
    expect(cspErrors).toEqual([]);
    expect(page.url()).not.toContain(ws.apiKey);
    await context.close();
  });

  describe('signed in (axe-core injected through a bypassCSP context)', () => {
    let context: BrowserContext;
    let page: Page;
    beforeAll(async () => {
      context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
      page = await context.newPage();
      await signIn(page, ws.apiKey, ws.consoleAdminKey);
      await page.waitForSelector('[data-connection=currents]');
    });
    afterAll(() => context.close());

    const open = async (view: string) => {
      await page.click(`nav [data-view=${view}]`);
      await page.waitForSelector(`main[data-view=${view}]`);
    };

    it('Connections: a card per partner with this deployment\'s URLs, keys kept out of the URL', async () => {
      const cards = await page.$$eval('[data-connection]', (nodes) => nodes.map((node) => node.getAttribute('data-connection')));
      expect(cards).toEqual(['brazeCohortImport', 'currents', 'heap', 'segment', 'abtasty']);
      expect(await page.textContent('[data-connection=currents]')).toContain(`${hub.url}/currents?workspace=${ws.workspaceId}`);
      expect(await page.textContent('[data-connection=heap]')).toContain(`${hub.url}/heap/segments/${ws.workspaceId}`);
      expect(await page.textContent('[data-connection=currents] [data-testid="Last accepted"]')).toContain('200');
      expect(await page.textContent('[data-connection=currents] [data-testid="Last refused"]')).toContain('401 · Unauthorized access');
      expect(await page.textContent('[data-connection=segment] [data-testid="Last accepted"]')).toContain('200');
      expect(page.url()).toBe(`${hub.url}/console`);
      await expectAccessible(page, 'connections');
      await shoot(page, 'connections');
    });

    it('Connections: a rotation with the default 24 h grace keeps both tokens; grace 0 leaves only the newest', async () => {
      await page.selectOption('#rotate-kind', 'currentsToken');
      await page.click('#rotate-submit');
      await page.waitForSelector('[data-testid=rotated]');
      const graced = (await page.textContent('[data-testid=rotated] code')) ?? '';
      expect(graced).toMatch(/^hub_cur_/);
      expect(await page.textContent('[data-testid=rotated]')).toContain('The old value works until');
      expect((await sendCurrents(hub, ws, [], graced)).status).toBe(200);
      expect((await sendCurrents(hub, ws, [])).status).toBe(200);

      await page.fill('#rotate-grace', '0');
      await page.click('#rotate-submit');
      await page.locator('[data-testid=rotated] code', { hasNotText: graced }).waitFor();
      const value = (await page.textContent('[data-testid=rotated] code')) ?? '';
      expect(value).toMatch(/^hub_cur_/);
      expect((await sendCurrents(hub, ws, [], value)).status).toBe(200);
      expect((await sendCurrents(hub, ws, [], graced)).status).toBe(401);
      expect((await sendCurrents(hub, ws, [])).status).toBe(401);
      await shoot(page, 'connections-rotated');
    });

    it('Cohorts: list, the imports chart, one import report and members', async () => {
      await open('cohorts');
      await page.waitForSelector('[data-testid=cohorts]');
      expect(await page.textContent('[data-testid=cohorts]')).toContain('VIP buyers');
      expect(await page.textContent('[data-testid=cohorts]')).toContain('cart_abandoners');
      await page.click('text=VIP buyers');
      await page.waitForSelector('[data-testid=import-chart] rect.matched', { state: 'attached' });
      expect(await page.$$eval('[data-testid=import-chart] rect.matched', (rects) => rects.length)).toBe(3);
      await page.waitForSelector('[data-testid=members] tbody tr');
      await page.click('[data-testid=cohort-detail] table .link');
      await page.waitForSelector('[data-testid=import-report]');
      expect(await page.textContent('[data-testid=import-report]')).toContain('unmatched');
      await expectAccessible(page, 'cohorts');
      await shoot(page, 'cohorts');
    });

    it('Trace: the profile, and the trace timeline with the applied flip and its import', async () => {
      // History is written from the cohorts table's stream (the local stream poller): wait until the flip is recorded.
      await eventually(async () => {
        const trace = await hub.request('GET', `/v1/trace?cohort_id=${COHORT_ID}&external_id=customer-3`, { headers: { Authorization: `Bearer ${ws.apiKey}` } });
        return ((trace.body as { flips?: unknown[] } | undefined)?.flips ?? []).length > 0 ? true : undefined;
      }, 30_000, 'the flip of customer-3 recorded');
      await open('trace');
      await page.fill('#trace-value', 'customer-3');
      await page.fill('#trace-cohort', COHORT_ID);
      await page.click('form button[type=submit]');
      await page.waitForSelector('[data-testid=trace-result]');
      expect(await page.textContent('[data-testid=trace-result]')).toContain('braze000003');
      const timeline = (await page.textContent('[data-testid=trace-timeline]')) ?? '';
      expect(timeline).toContain('resolves: resolved → braze000003');
      expect(timeline).toMatch(/entered \(version [^)]+\) — /);
      expect(timeline).toContain('kind: cohort_import');
      expect(timeline).toContain('importId: ');
      expect(timeline).toContain('now a member');
      expect(await page.$('[data-testid=trace-unavailable]')).toBeNull();
      await expectAccessible(page, 'trace');
      await shoot(page, 'trace');
    });

    it('Deliveries and health: queue and DLQ depths, deliveries and rejects (each with its state)', async () => {
      await open('deliveries');
      await page.waitForSelector('[data-testid=queues] table');
      expect(await page.textContent('[data-testid=queues]')).toContain('cohortImport');
      await page.waitForSelector('[data-list="Currents rejects"] table');
      await page.waitForSelector('[data-list="AB Tasty deliveries"] [data-state=empty]');
      await page.waitForSelector('[data-list="Webhook deliveries"] [data-state]');
      await expectAccessible(page, 'deliveries');
      await shoot(page, 'deliveries');
    });
  });
});
