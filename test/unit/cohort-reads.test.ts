import { parseUserQuery, reportStatus, type StoredImportReport } from '../../functions/domain/cohort-reads';
import { HubError } from '../../functions/shared/errors';

const report = (fields: Partial<StoredImportReport>): StoredImportReport => ({
  importId: 'imp_1',
  cohortId: 'c',
  partsApplied: [],
  received: { user_ids: 0, device_ids: 0, aliases: 0 },
  duplicate: 0,
  conflicts: 0,
  conflictSamples: [],
  matched: 0,
  unmatched: 0,
  unmatchedSamples: [],
  added: 0,
  removed: 0,
  unchanged: 0,
  stale: 0,
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
    expect(parseUserQuery(query)).toEqual(expected);
  });

  it.each([[{}], [{ external_id: 'u1', device_id: 'd1' }], [{ alias_label: 'email' }], [{ alias_name: 'x' }]])('refuses %j with 400', (query) => {
    expect(() => parseUserQuery(query)).toThrow(HubError);
    try {
      parseUserQuery(query);
    } catch (error) {
      expect((error as HubError).status).toBe(400);
    }
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
