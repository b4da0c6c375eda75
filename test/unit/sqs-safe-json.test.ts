import { chunkForMessages, sqsSafeJson } from '../../functions/shared/enqueue';

/** The characters SQS accepts in a message body (AWS SendMessage documentation). */
const SQS_ALLOWED = /^[\t\n\r\u0020-\ud7ff\ue000-\ufffd]*$/;

describe('sqsSafeJson', () => {
  it('escapes U+FFFE, U+FFFF and characters above U+FFFF so the body parses to the same value', () => {
    const value = { name: 'a\uffffb\ufffe😀 👨‍👩‍👧 \u0000 \ud800 é' };
    const body = JSON.stringify(value);

    const safe = sqsSafeJson(body);

    expect(SQS_ALLOWED.test(safe)).toBe(true);
    expect(JSON.parse(safe)).toEqual(value);
  });

  it('leaves ordinary JSON unchanged', () => {
    const body = JSON.stringify({ ids: ['user-1', 'ß', '\u2028'], n: 1 });

    expect(sqsSafeJson(body)).toBe(body);
  });

  it('sizes chunks by their escaped length', () => {
    const items = Array.from({ length: 4000 }, () => '😀'.repeat(10));

    const bodies = chunkForMessages(items, (chunk) => JSON.stringify({ items: chunk }));

    expect(bodies.length).toBeGreaterThan(1);
    for (const body of bodies) expect(Buffer.byteLength(body, 'utf8')).toBeLessThanOrEqual(256 * 1024);
    expect(bodies.flatMap((body) => (JSON.parse(body) as { items: string[] }).items)).toEqual(items);
  });
});
