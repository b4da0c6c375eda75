import { keyFits, parseRange, parseTimeParam, parseTypeRange, utcDaysBetween } from '../../functions/domain/events-query';

describe('events query parameters', () => {
  it('reads UNIX seconds and ISO-8601 dates as epoch ms', () => {
    expect(parseTimeParam('from', '1763900000', 0)).toEqual({ ok: true, value: 1_763_900_000_000 });
    expect(parseTimeParam('from', '2025-11-23T12:13:20Z', 0)).toEqual({ ok: true, value: 1_763_900_000_000 });
    expect(parseTimeParam('from', 'yesterday', 0)).toMatchObject({ ok: false, refused: 'invalid' });
  });

  it('refuses an empty or inverted range', () => {
    expect(parseRange({ from: '200', to: '100' })).toMatchObject({ ok: false, message: 'to must be later than from' });
  });

  it('lists the UTC day shards a range touches', () => {
    expect(utcDaysBetween(Date.parse('2025-11-23T23:00:00Z'), Date.parse('2025-11-25T00:00:00Z'))).toEqual(['2025-11-23', '2025-11-24']);
  });

  it('bounds the type query: from required, at most 400 days', () => {
    expect(parseTypeRange({}, 0)).toMatchObject({ ok: false, message: 'from is required' });
    expect(parseTypeRange({ from: '0', to: String(401 * 86_400) }, 0)).toMatchObject({ ok: false, message: expect.stringContaining('at most 400 days') });
  });

  it('refuses (400) a type or brazeId over its key byte budget, with the error list', () => {
    const type = '漢'.repeat(1000);

    expect(keyFits('type', 'eventType', '漢'.repeat(512))).toEqual({ ok: true, value: '漢'.repeat(512) });
    expect(keyFits('brazeId', 'brazeId', `${'漢'.repeat(340)}ab`)).toMatchObject({ ok: true, value: expect.any(String) });
    expect(keyFits('type', 'eventType', type)).toEqual({ ok: false, refused: 'invalid', message: 'type is longer than 1970 bytes (UTF-8)', errors: ['type is longer than 1970 bytes (UTF-8)'] });
    expect(keyFits('brazeId', 'brazeId', `${'漢'.repeat(340)}abc`)).toMatchObject({ ok: false, refused: 'invalid', message: 'brazeId is longer than 1022 bytes (UTF-8)', errors: ['brazeId is longer than 1022 bytes (UTF-8)'] });
  });
});
