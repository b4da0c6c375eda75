/**
 * Lines of a user file as it streams in: a ZIP archive (each entry a file of lines, as Braze writes
 * them), a gzip file (`output_format: "gzip"`), or plain JSON lines / CSV. The kind is told from the
 * first bytes, not the name (a download URL names nothing). Nothing is held but the current line.
 */
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { ByteReader, ExportFileError, readZip } from './zip-stream';

export { ExportFileError } from './zip-stream';

export type FileKind = 'zip' | 'gzip' | 'plain';

/** A line longer than this is cut (it can only be a reject) so a file without line breaks cannot exhaust memory. */
export const MAX_LINE_CHARS = 1_000_000;

/** ZIP local header `PK\x03\x04` (or an empty archive's `PK\x05\x06`); gzip `\x1f\x8b`. */
export const fileKindOf = (head: Buffer): FileKind => {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05)) return 'zip';
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  return 'plain';
};

/** Splits decoded text into lines (`\n` or `\r\n`); `flush` ends the current file. */
class LineSplitter {
  private decoder = new StringDecoder('utf8');
  private partial = '';
  private cut = false;

  push(bytes: Buffer): string[] {
    const parts = (this.partial + this.decoder.write(bytes)).split('\n');
    this.partial = parts.pop() ?? '';
    const lines = parts.map((line, index) => this.finish(line, index === 0));
    if (this.partial.length > MAX_LINE_CHARS) {
      this.partial = this.partial.slice(0, MAX_LINE_CHARS);
      this.cut = true;
    }
    return lines;
  }

  flush(): string[] {
    const rest = this.partial + this.decoder.end();
    this.decoder = new StringDecoder('utf8');
    this.partial = '';
    const last = rest === '' && !this.cut ? [] : [this.finish(rest, true)];
    return last;
  }

  private finish(line: string, continuesPartial: boolean): string {
    if (continuesPartial) this.cut = false;
    const text = line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) : line;
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  }
}

/** zlib's data errors (`Z_DATA_ERROR`, `Z_BUF_ERROR`…) say the file is broken: an ExportFileError. */
async function* gunzipped(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of Readable.from(source).pipe(createGunzip())) yield chunk as Buffer;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw typeof code === 'string' && code.startsWith('Z_') ? new ExportFileError(`not valid gzip data: ${(error as Error).message}`) : error;
  }
}

/** The uncompressed byte chunks of a file, with `undefined` marking the end of each file inside it. */
async function* fileChunks(bytes: ByteReader, kind: FileKind): AsyncGenerator<Buffer | undefined> {
  const rest = (async function* () {
    for (let chunk = await bytes.chunk(); chunk; chunk = await bytes.chunk()) yield chunk;
  })();
  if (kind === 'zip') {
    let started = false;
    for await (const part of readZip(rest)) {
      if ('entry' in part) {
        if (started) yield undefined;
        started = true;
      } else yield part.data;
    }
  } else if (kind === 'gzip') {
    yield* gunzipped(rest);
  } else {
    yield* rest;
  }
  yield undefined;
}

/**
 * Every line of a (possibly compressed) user file, in order. Lines of different files inside one
 * archive never run together; a final line without a line break is still a line.
 */
export async function* fileLines(source: AsyncIterable<Buffer | Uint8Array | string>, kind?: FileKind): AsyncGenerator<string> {
  const bytes = new ByteReader(source);
  await bytes.fill(4);
  const head = await bytes.chunk(4);
  if (!head) return;
  bytes.unshift(head);
  const splitter = new LineSplitter();
  for await (const chunk of fileChunks(bytes, kind ?? fileKindOf(head))) {
    yield* chunk === undefined ? splitter.flush() : splitter.push(chunk);
  }
}
