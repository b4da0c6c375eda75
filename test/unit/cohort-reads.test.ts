import { getImportReport, listCohortMembers, parseUserQuery, reportStatus, type ReadDeps } from '../../functions/domain/cohort-reads';
import type { Outcome } from '../../functions/domain/outcomes';
import { answer } from '../../functions/handlers/http/responses';
import type { WorkspaceRecord } from '../../functions/schemas/workspace';
import type { StoredImportReport } from '../../functions/domain/ports';
import { emptyImportCounts } from '../../functions/domain/cohort-matching';
import { emptyApplyResult } from '../../functions/domain/membership';

const report = (fields: Partial<StoredImportReport>): StoredImportReport => ({
  importId: 'imp_1',
  cohortId: 'c',
  partsApplied: [],
  ...emptyImportCounts(),
  ...emptyApplyResult(),
  failed: false,
  ...fields,
});

describe('GET /v1/users query', () => {
  it.each([
    [{ external_id: 'u1' }, { kind: 'external_id', value: 'u1' }],
    [{ device_id: 'd1' }, { kind: 'device_id', value: 'd1' }],
    [{ braze_id: 'b1' }, { kind: 'braze_id', value: 'b1' }],
    [{ alias_label: 'email', alias_name: 'a@b.c', limit: '5' }, { kind: 'alias', label: 'email', name: 'a@b.c' }],
  ])('reads %j as one identifier', (query, expected) => {
    expect(parseUserQuery(query)).toEqual({ ok: true, value: expected });
  });

  it.each([[{}], [{ external_id: 'u1', device_id: 'd1' }], [{ alias_label: 'email' }], [{ alias_name: 'x' }]])('refuses %j with 400', (query) => {
    expect(parseUserQuery(query)).toMatchObject({ ok: false, refused: 'invalid' });
    expect(answer(parseUserQuery(query)).status).toBe(400);
  });
});

describe('read API ids over their key byte budgets', () => {
  /** The refusal the read API answers with (http/responses.ts). */
  const refusal = async (call: () => Outcome<unknown> | Promise<Outcome<unknown>>) => {
    const response = answer(await call());
    if (response.status < 400) throw new Error('expected a refusal');
    const body = response.body as { message: string; errors?: string[] };
    return { status: response.status, message: body.message, errors: body.errors ?? [] };
  };

  it.each([
    [{ braze_id: `${'漢'.repeat(340)}abc` }, 'braze_id is longer than 1022 bytes (UTF-8)'],
    [{ external_id: '#'.repeat(341) }, 'external_id is longer than 1020 bytes (UTF-8, each # or % counting 3)'],
    [{ device_id: '漢'.repeat(341) }, 'device_id is longer than 1020 bytes (UTF-8, each # or % counting 3)'],
    [{ alias_label: '#'.repeat(300), alias_name: '%'.repeat(100) }, 'alias_label and alias_name are longer than 1017 bytes (UTF-8, each # or % counting 3)'],
  ])('answers %j with 400 naming the budget', async (query, message) => {
    expect(await refusal(() => parseUserQuery(query))).toEqual({ status: 400, message, errors: [message] });
  });

  it('reads a query exactly at its budget', () => {
    expect(parseUserQuery({ external_id: '#'.repeat(340) })).toEqual({ ok: true, value: { kind: 'external_id', value: '#'.repeat(340) } });
  });

  it('answers 404 to a cohort or import id over its budget without reading (no such item can exist)', async () => {
    const unread = () => {
      throw new Error('read attempted');
    };
    const deps = { sets: { getSet: unread, listMembers: unread }, reports: { get: unread }, profiles: { getProfiles: unread }, claims: { resolveClaims: unread } } as unknown as ReadDeps;
    const workspace = { workspaceId: 'ws1', createdAt: '2026-01-01T00:00:00Z' } as WorkspaceRecord;

    const members = await refusal(() => listCohortMembers(deps, workspace, '漢'.repeat(341), { limit: 10 }));
    const byCohort = await refusal(() => getImportReport(deps, workspace, '漢'.repeat(341), 'imp_1'));
    const byImport = await refusal(() => getImportReport(deps, workspace, 'c', '漢'.repeat(340)));

    expect([members.status, byCohort.status, byImport.status]).toEqual([404, 404, 404]);
  });
});

describe('import report status', () => {
  it('is queued until every part is counted, then applied; failed wins', () => {
    expect(reportStatus(report({ parts: 2, partsApplied: [0] }))).toBe('queued');
    expect(reportStatus(report({ parts: 2, partsApplied: [0, 1] }))).toBe('applied');
    expect(reportStatus(report({ parts: 2, partsApplied: [0, 1], failed: true }))).toBe('failed');
    expect(reportStatus(report({ failed: true }))).toBe('failed');
  });
});
