/** `__proto__` / `constructor` keys in request bodies are plain data: they neither inject nor flip anything. */
import { validateCohortChanges, validateCohortUpsert } from '../../functions/domain/cohort-ingest';

describe('prototype-pollution keys in cohort import bodies', () => {
  it('keeps an add an add when a change object carries "__proto__": {"should_remove": true}', () => {
    const body = JSON.parse('{"cohort_id":"c","cohort_changes":[{"user_ids":["p-1"],"__proto__":{"should_remove":true,"user_ids":["injected"]}}]}') as Record<string, unknown>;

    const parsed = validateCohortChanges(body);

    expect(parsed.changes).toEqual([{ identifier: { kind: 'external_id', value: 'p-1' }, op: 'add' }]);
    expect(({} as Record<string, unknown>).should_remove).toBeUndefined();
  });

  it('injects no identifiers from a "__proto__" object and pollutes no prototype', () => {
    const body = JSON.parse('{"cohort_id":"c","constructor":{"prototype":{"polluted":true}},"cohort_changes":[{"__proto__":{"user_ids":["injected"]}}]}') as Record<string, unknown>;

    const parsed = validateCohortChanges(body);

    expect(parsed.changes).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads the cohort name from the body itself, not from a "__proto__" key', () => {
    const body = JSON.parse('{"cohort_id":"c","created_at":"2026-01-01","__proto__":{"name":"from-proto"}}') as Record<string, unknown>;

    expect(() => validateCohortUpsert(body)).toThrow('`name` must be a non-empty string');
  });
});
