import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { ExportFileError, fileKindOf, fileLines, MAX_LINE_CHARS } from '../../functions/domain/export-stream';
import { readZip } from '../../functions/domain/zip-stream';
import { chunked, zipArchive, type ZipEntryInput } from '../support/zip';

const collect = async <T>(source: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
};

/** Entry name → its bytes as text, read through the streaming reader. */
const unzip = async (archive: Buffer, sizes?: number[]): Promise<Record<string, string>> => {
  const files: Record<string, string> = {};
  let current = '';
  for await (const part of readZip(chunked(archive, sizes))) {
    if ('entry' in part) current = part.entry;
    else files[current] = (files[current] ?? '') + part.data.toString('utf8');
  }
  return files;
};

const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => JSON.stringify({ braze_id: `${tag}${i}` })).join('\n') + '\n';

describe('streaming ZIP reader', () => {
  const layouts: [string, Partial<ZipEntryInput>][] = [
    ['deflated, sizes in the local header', {}],
    ['stored, sizes in the local header', { method: 0 }],
    ['deflated, signed data descriptor (Java, zip -)', { descriptor: 'signed' }],
    ['deflated, data descriptor without signature', { descriptor: 'unsigned' }],
    ['deflated, Zip64 data descriptor (Python streaming writes)', { descriptor: 'zip64' }],
  ];

  it.each(layouts)('reads every entry: %s', async (_, layout) => {
    const archive = zipArchive([
      { name: 'a.json', data: lines(3000, 'a'), ...layout },
      { name: 'b.json', data: lines(5, 'b'), ...layout },
    ]);

    expect(await unzip(archive)).toEqual({ 'a.json': lines(3000, 'a'), 'b.json': lines(5, 'b') });
  });

  it('gives the same bytes however the archive is cut into chunks (property, fresh seed)', async () => {
    const descriptor = fc.constantFrom<ZipEntryInput['descriptor']>(undefined, 'signed', 'unsigned', 'zip64');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ text: fc.string({ maxLength: 2000 }), descriptor, stored: fc.boolean() }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }),
        async (entries, sizes) => {
          const inputs = entries.map((entry, i): ZipEntryInput => ({ name: `f${i}.json`, data: entry.text, ...(entry.stored && !entry.descriptor ? { method: 0 } : {}), ...(entry.descriptor ? { descriptor: entry.descriptor } : {}) }));
          const expected = Object.fromEntries(inputs.filter((input) => String(input.data).length > 0).map((input) => [input.name, String(input.data)]));
          const read = await unzip(zipArchive(inputs), sizes);
          expect(Object.fromEntries(Object.entries(read).filter(([, text]) => text.length > 0))).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads an archive written by the JDK jar tool (data descriptors)', async () => {
    const archive = readFileSync(join(__dirname, '../fixtures/braze-export/jar-data-descriptor.zip'));

    expect(await collect(fileLines(chunked(archive, [7])))).toEqual(['{"braze_id":"5fbd99bac125ca40511f2cb1","external_id":"A8i3mkd99"}', '{"braze_id":"5fbd99bac125ca40511f2cb2"}']);
  });

  it('refuses what it cannot stream, with an ExportFileError', async () => {
    const truncated = zipArchive([{ name: 'a.json', data: lines(100, 'a') }]).subarray(0, 200);
    const storedWithoutSizes = zipArchive([{ name: 'a.json', data: 'x', method: 0, descriptor: 'signed' }]);
    const notZip = Buffer.from('PK\x03\x04' + 'x'.repeat(40));

    await expect(collect(readZip(chunked(truncated)))).rejects.toThrow(ExportFileError);
    await expect(collect(readZip(chunked(storedWithoutSizes)))).rejects.toThrow(/stored without sizes/);
    await expect(collect(readZip(chunked(notZip)))).rejects.toThrow(ExportFileError);
  });
});

describe('file lines', () => {
  it('tells ZIP, gzip and plain files from their first bytes', () => {
    expect(fileKindOf(zipArchive([{ name: 'a', data: 'x' }]))).toBe('zip');
    expect(fileKindOf(gzipSync('x'))).toBe('gzip');
    expect(fileKindOf(Buffer.from('{"a":1}'))).toBe('plain');
  });

  it('reads the lines of each kind, with CRLF and a last line without a break', async () => {
    const text = '{"a":1}\r\n{"b":2}\n\n{"c":3}';
    const expected = ['{"a":1}', '{"b":2}', '', '{"c":3}'];

    expect(await collect(fileLines(chunked(Buffer.from(text), [3])))).toEqual(expected);
    expect(await collect(fileLines(chunked(gzipSync(text), [5])))).toEqual(expected);
    expect(await collect(fileLines(chunked(zipArchive([{ name: 'a', data: text }]), [11])))).toEqual(expected);
  });

  it('never joins the last line of one file of an archive to the first of the next', async () => {
    const archive = zipArchive([
      { name: 'a', data: 'one\ntwo' },
      { name: 'b', data: 'three\n' },
    ]);

    expect(await collect(fileLines(chunked(archive)))).toEqual(['one', 'two', 'three']);
  });

  it('keeps multi-byte characters split across chunks whole', async () => {
    expect(await collect(fileLines(chunked(Buffer.from('é漢😀\nß'), [1])))).toEqual(['é漢😀', 'ß']);
  });

  it('cuts a line without breaks at MAX_LINE_CHARS instead of holding it all', async () => {
    const long = 'x'.repeat(MAX_LINE_CHARS + 5000);

    const read = await collect(fileLines(chunked(Buffer.from(`${long}\nnext\n`), [65536])));

    expect(read.map((line) => line.length)).toEqual([MAX_LINE_CHARS, 4]);
  });

  it('says a broken gzip file is broken (an ExportFileError, not retried)', async () => {
    const broken = Buffer.concat([gzipSync(lines(100, 'a')).subarray(0, 30), Buffer.from('garbage')]);

    await expect(collect(fileLines(chunked(broken)))).rejects.toThrow(ExportFileError);
  });
});
