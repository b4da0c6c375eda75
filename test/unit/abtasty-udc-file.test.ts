import fc from 'fast-check';
import {
  checkRow,
  emptyCount,
  isUdcValue,
  MAX_VALUE_LENGTH,
  normaliseUdcValue,
  SEGMENT_TOKEN,
  udcSegmentToken,
  UDC_CSV_HEADER,
  UDC_VISITOR_ID,
  udcCsvChunks,
  type UdcRow,
} from '../../functions/domain/abtasty-udc-file';
import { SEGMENT_ID_PATTERN } from '../../functions/schemas/heap';

const collect = async (chunks: AsyncIterable<Uint8Array>) => {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return parts;
};

async function* rowsOf(rows: readonly UdcRow[]) {
  for (const row of rows) {
    await Promise.resolve();
    yield row;
  }
}

describe('UDC value charset', () => {
  it.each(['vip', 'VIP', 'a-b_c', '$€£[]{}&(§!)-_%=+:/.?<>@#', 'Élodie', 'àÿ', '42', 'x'.repeat(MAX_VALUE_LENGTH)])('accepts %j', (value) => {
    expect(isUdcValue(value)).toBe(true);
  });

  it.each(['', 'two words', 'a,b', 'quote"', "it's", 'tab\t', 'line\n', 'Ā', 'ł', '😀', '*', '~', ';', '|', 'x'.repeat(MAX_VALUE_LENGTH + 1)])('refuses %j', (value) => {
    expect(isUdcValue(value)).toBe(false);
  });

  it('normalises free text: NFC, whitespace and commas to "_", refused characters dropped, cut to the maximum', () => {
    expect(normaliseUdcValue('Engaged shoppers')).toBe('Engaged_shoppers');
    expect(normaliseUdcValue('  a,  b\tc ')).toBe('a_b_c');
    expect(normaliseUdcValue('Cafe\u0301 crème')).toBe('Café_crème');
    expect(normaliseUdcValue('"quoted" *stars* ~ok~')).toBe('quoted_stars_ok');
    expect(normaliseUdcValue('-10% promo')).toBe('-10%_promo');
    expect(normaliseUdcValue('x'.repeat(200))).toHaveLength(MAX_VALUE_LENGTH);
    expect(normaliseUdcValue('😀 ~ *')).toBe('__');
    expect(normaliseUdcValue('😀~*')).toBeUndefined();
    expect(normaliseUdcValue('   ')).toBeUndefined();
  });

  it('normalisation always yields an accepted value, and is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (raw) => {
        const value = normaliseUdcValue(raw);
        if (value === undefined) return;
        expect(isUdcValue(value)).toBe(true);
        expect(normaliseUdcValue(value)).toBe(value);
      }),
    );
  });
});

describe('segment tokens', () => {
  it('names integer Heap segments readably', () => {
    expect(udcSegmentToken('4242')).toBe('heap_4242');
    expect(udcSegmentToken('seg_A1')).toBe('heap_seg_A1');
  });

  it('hashes ids with characters outside the token charset into a distinct prefix', () => {
    const token = udcSegmentToken('a:b.c-d');
    expect(token).toMatch(/^heapx_[0-9a-f]{32}$/);
    expect(udcSegmentToken('a:b.c-d')).toBe(token);
    expect(udcSegmentToken('a:b.c-e')).not.toBe(token);
    expect(udcSegmentToken('x'.repeat(59))).toMatch(/^heapx_/);
    expect(udcSegmentToken('x'.repeat(58))).toBe(`heap_${'x'.repeat(58)}`);
  });

  it('every token is a valid UDC value without ":" (the Flagship key separator), and distinct ids never share one', () => {
    fc.assert(
      fc.property(fc.stringMatching(SEGMENT_ID_PATTERN), fc.stringMatching(SEGMENT_ID_PATTERN), (a, b) => {
        const token = udcSegmentToken(a);
        expect(token).toMatch(SEGMENT_TOKEN);
        expect(isUdcValue(token)).toBe(true);
        expect(token).not.toContain(':');
        if (a !== b) expect(udcSegmentToken(b)).not.toBe(token);
      }),
    );
  });
});

describe('UDC rows', () => {
  it('uses AB Tasty visitor-id rule', () => {
    expect(UDC_VISITOR_ID.test('ABC-123')).toBe(true);
    expect(UDC_VISITOR_ID.test('x'.repeat(33))).toBe(false);
  });

  it('refuses a row by its first bad column', () => {
    expect(checkRow({ segment: 'heap_1', visitorId: 'v-1' })).toBeUndefined();
    expect(checkRow({ segment: 'heap_1', visitorId: 'v 1' })).toBe('visitor_id');
    expect(checkRow({ segment: 'Engaged shoppers', visitorId: 'v-1' })).toBe('segment');
    expect(checkRow({ segment: 'heap_1', visitorId: 'v-1', value: 'a,b' })).toBe('value');
  });
});

describe('streamed CSV body', () => {
  it('writes the header, one line per row (empty value field when none) and counts rows and bytes', async () => {
    const count = emptyCount();
    const rows = [
      { segment: 'heap_1', visitorId: 'v-1' },
      { segment: 'heap_1', visitorId: 'v-2', value: 'Élodie' },
      { segment: 'heap_2', visitorId: 'bad id' },
    ];
    const text = Buffer.concat(await collect(udcCsvChunks(rowsOf(rows), count))).toString('utf8');

    expect(text).toBe(`${UDC_CSV_HEADER}\nv-1,heap_1,\nv-2,heap_1,Élodie\n`);
    expect(count).toEqual({ rows: 2, bytes: Buffer.byteLength(text), refused: 1 });
  });

  it('an empty source is the header alone', async () => {
    const count = emptyCount();
    const text = Buffer.concat(await collect(udcCsvChunks(rowsOf([]), count))).toString('utf8');
    expect(text).toBe(`${UDC_CSV_HEADER}\n`);
    expect(count.rows).toBe(0);
  });

  it('streams: chunks stay near the chunk size and are handed out while the source is still being read', async () => {
    let produced = 0;
    let producedAtFirstChunk: number | undefined;
    async function* many() {
      for (; produced < 20_000; ) {
        produced += 1;
        await Promise.resolve();
        yield { segment: 'heap_9', visitorId: `visitor-${produced}` };
      }
    }
    const count = emptyCount();
    const sizes: number[] = [];
    for await (const chunk of udcCsvChunks(many(), count, 4096)) {
      producedAtFirstChunk ??= produced;
      sizes.push(chunk.byteLength);
    }

    expect(producedAtFirstChunk).toBeLessThan(300);
    expect(Math.max(...sizes)).toBeLessThan(4096 + 64);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(count.bytes);
    expect(count.rows).toBe(20_000);
  });
});
