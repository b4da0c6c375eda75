/** `failure_reason` of an import report is a stable code; the error's own message stays in the log. */
import { getImportReport, type ReadDeps } from '../../functions/domain/cohort-reads';
import { IMPORT_FAILURE_CODES, importFailureCode, publicFailureReason } from '../../functions/domain/import-failures';
import type { Outcome } from '../../functions/domain/outcomes';
import { workspaceRecord } from './fakes/workspace-record';
import type { StoredImportReport } from '../../functions/domain/ports';

/** What the read API answers: the value of an outcome, or its refusal. */
const answered = <T>(outcome: Outcome<T>) => (outcome.ok ? outcome.value : outcome);

const named = (name: string, message = 'detail the caller must not see') => Object.assign(new Error(message), { name });

describe('import failure codes', () => {
  it.each([
    [named('ValidationException', 'Hash primary key values must be under 2048 bytes'), 'invalid_data'],
    [named('ProvisionedThroughputExceededException'), 'storage_unavailable'],
    [named('ThrottlingException'), 'storage_unavailable'],
    [named('InternalServerError'), 'storage_unavailable'],
    [named('TransactionCanceledException'), 'internal_error'],
    [new TypeError("Cannot read properties of undefined (reading 'brazeId')"), 'internal_error'],
    ['a thrown string', 'internal_error'],
  ])('maps %p to %s', (error, code) => {
    expect(importFailureCode(error)).toBe(code);
  });

  it('documents every code it can produce', () => {
    expect(Object.keys(IMPORT_FAILURE_CODES).sort()).toEqual(['internal_error', 'invalid_data', 'storage_unavailable']);
  });

  it('shows a stored code as is, and an older report\'s stored error message as internal_error', () => {
    expect(publicFailureReason('invalid_data')).toBe('invalid_data');
    expect(publicFailureReason('Hash primary key values must be under 2048 bytes, and range primary key values must be under 1024 bytes')).toBe('internal_error');
    expect(publicFailureReason('constructor')).toBe('internal_error');
  });

  it('never puts an error message in the import report the read API answers', async () => {
    const stored = (failureReason: string): StoredImportReport => ({
      importId: 'imp_1', cohortId: 'c', partsApplied: [], received: { user_ids: 1, device_ids: 0, aliases: 0 }, duplicate: 0, conflicts: 0,
      conflictSamples: [], matched: 0, unmatched: 0, unmatchedSamples: [], added: 0, removed: 0, unchanged: 0, stale: 0, failed: true, failureReason,
    });
    const deps = (report: StoredImportReport) => ({ reports: { get: () => Promise.resolve(report) } }) as unknown as ReadDeps;

    const legacy = answered(await getImportReport(deps(stored('User: arn:aws:sts::123:assumed-role/x is not authorized on table hub-prod-users')), workspaceRecord(), 'c', 'imp_1'));
    const coded = answered(await getImportReport(deps(stored('storage_unavailable')), workspaceRecord(), 'c', 'imp_1'));

    expect(legacy).toMatchObject({ status: 'failed', failure_reason: 'internal_error' });
    expect(JSON.stringify(legacy)).not.toContain('arn:aws');
    expect(coded).toMatchObject({ status: 'failed', failure_reason: 'storage_unavailable' });
  });
});
