import { parseRange, parseTimeParam, parseTypeRange, requireKeyFits, utcDaysBetween } from '../../functions/domain/events-query';
import { BadRequestError } from '../../functions/shared/errors';

describe('events query parameters', () => {
  it('reads UNIX seconds and ISO-8601 dates as epoch ms', () => {
    expect(parseTimeParam('from', '1763900000', 0)).toBe(1_763_900_000_000);
    expect(parseTimeParam('from', '2025-11-23T12:13:20Z', 0)).toBe(1_763_900_000_000);
    expect(() => parseTimeParam('from', 'yesterday', 0)).toThrow(BadRequestError);
  });

  it('refuses an empty or inverted range', () => {
    expect(() => parseRange({ from: '200', to: '100' })).toThrow('to must be later than from');
  });

  it('lists the UTC day shards a range touches', () => {
    expect(utcDaysBetween(Date.parse('2025-11-23T23:00:00Z'), Date.parse('2025-11-25T00:00:00Z'))).toEqual(['2025-11-23', '2025-11-24']);
  });

  it('bounds the type query: from required, at most 400 days', () => {
    expect(() => parseTypeRange({}, 0)).toThrow('from is required');
    expect(() => parseTypeRange({ from: '0', to: String(401 * 86_400) }, 0)).toThrow('at most 400 days');
  });

  it('answers 400 to a type or brazeId over its key byte budget, with the error list', () => {
    const type = '漢'.repeat(1000);

    expect(requireKeyFits('type', 'eventType', '漢'.repeat(512))).toBe('漢'.repeat(512));
    expect(requireKeyFits('brazeId', 'brazeId', `${'漢'.repeat(340)}ab`)).toHaveLength(342);
    expect(() => requireKeyFits('type', 'eventType', type)).toThrow(new BadRequestError('type is longer than 1970 bytes (UTF-8)'));
    try {
      requireKeyFits('brazeId', 'brazeId', `${'漢'.repeat(340)}abc`);
    } catch (error) {
      expect(error).toMatchObject({ status: 400, message: 'brazeId is longer than 1022 bytes (UTF-8)', errors: ['brazeId is longer than 1022 bytes (UTF-8)'] });
    }
    expect.assertions(4);
  });
});
