import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normaliseVisitorId, partitionVisitorIds } from '../../functions/domain/visitor-ids';

const fixture = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'heap', 'visitor-ids.json'), 'utf8')) as {
  valid: Record<string, string>;
  invalid: string[];
};

describe('AB Tasty visitor ids', () => {
  it.each(Object.entries(fixture.valid))('accepts %j and normalises it to %j', (raw, expected) => {
    expect(normaliseVisitorId(raw)).toBe(expected);
  });

  it.each(fixture.invalid)('rejects %j', (raw) => {
    expect(normaliseVisitorId(raw)).toBeUndefined();
  });

  it('accepts non-negative integer ids (a numeric Heap property) and rejects other non-strings', () => {
    expect(normaliseVisitorId(987654321)).toBe('987654321');
    expect(normaliseVisitorId(-1)).toBeUndefined();
    expect(normaliseVisitorId(1.5)).toBeUndefined();
    expect(normaliseVisitorId(null)).toBeUndefined();
    expect(normaliseVisitorId({ id: 'abc' })).toBeUndefined();
  });

  it('counts invalid ids and deduplicates valid ones case-insensitively', () => {
    const result = partitionVisitorIds(['ABC', 'abc', 'bad id', undefined, 'def']);

    expect(result).toEqual({ valid: ['abc', 'def'], invalid: 2 });
  });
});
