/**
 * A streaming reader of ZIP archives (PKWARE APPNOTE 4.3.7, local file headers), for Braze user
 * exports: it walks the entries front to back and never needs the central directory, so an archive
 * is read while it downloads, in constant memory. Stored (method 0) and deflated (method 8) entries;
 * sizes come from the local header (or its Zip64 extra field). With a data descriptor (flag bit 3)
 * a deflated entry ends where its deflate stream ends: zlib says how many bytes it used, the rest is
 * handed back. Encrypted entries, and stored entries without sizes, are refused.
 */
import { createInflateRaw } from 'node:zlib';

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL = 0x06054b50;
const DESCRIPTOR = 0x08074b50;
const ZIP64_EXTRA = 0x0001;
const FLAG_ENCRYPTED = 0x1;
const FLAG_DESCRIPTOR = 0x8;

/** A file that is not what it claims to be (a broken archive, bad compressed data): retrying cannot help. */
export class ExportFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportFileError';
  }
}

/** What the reader yields: the start of an entry (its name), then that entry's bytes. */
export type ZipPart = { readonly entry: string } | { readonly data: Buffer };

/** Pull-based bytes over an async iterable of chunks, with look-ahead and push-back. */
export class ByteReader {
  private pending: Buffer = Buffer.alloc(0);
  private readonly source: AsyncIterator<Buffer | Uint8Array | string>;
  private done = false;

  constructor(source: AsyncIterable<Buffer | Uint8Array | string>) {
    this.source = source[Symbol.asyncIterator]();
  }

  /** True once `n` bytes are buffered; false when the source ends first. */
  async fill(n: number): Promise<boolean> {
    while (this.pending.length < n && !this.done) {
      const next = await this.source.next();
      if (next.done) this.done = true;
      else this.pending = Buffer.concat([this.pending, Buffer.from(next.value)]);
    }
    return this.pending.length >= n;
  }

  /** Exactly `n` bytes, or an error naming what was cut short. */
  async take(n: number, what: string): Promise<Buffer> {
    if (!(await this.fill(n))) throw new ExportFileError(`ZIP archive ends inside ${what}`);
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    return out;
  }

  /** The next chunk (buffered bytes first), at most `max` bytes; undefined at the end. */
  async chunk(max = Number.POSITIVE_INFINITY): Promise<Buffer | undefined> {
    if (!(await this.fill(1))) return undefined;
    const out = this.pending.subarray(0, Math.min(max, this.pending.length));
    this.pending = this.pending.subarray(out.length);
    return out;
  }

  /** Puts bytes back in front (what an inflater did not use). */
  unshift(bytes: Buffer): void {
    if (bytes.length > 0) this.pending = Buffer.concat([bytes, this.pending]);
  }
}

interface LocalHeader {
  readonly name: string;
  readonly flags: number;
  readonly method: number;
  readonly compressedSize: number;
  readonly zip64: boolean;
}

/** Sizes from a Zip64 extra field, where the header says 0xFFFFFFFF. */
const zip64Sizes = (extra: Buffer, compressed: number, uncompressed: number): { compressed: number; zip64: boolean } => {
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(at);
    const size = extra.readUInt16LE(at + 2);
    if (id === ZIP64_EXTRA) {
      let field = at + 4;
      if (uncompressed === 0xffffffff) field += 8;
      const value = compressed === 0xffffffff && field + 8 <= extra.length ? Number(extra.readBigUInt64LE(field)) : compressed;
      return { compressed: value, zip64: true };
    }
    at += 4 + size;
  }
  return { compressed, zip64: false };
};

/** The next local file header, or undefined at the central directory (or a clean end). */
const readLocalHeader = async (bytes: ByteReader): Promise<LocalHeader | undefined> => {
  if (!(await bytes.fill(4))) return undefined;
  const signature = (await bytes.take(4, 'a signature')).readUInt32LE(0);
  if (signature === CENTRAL_HEADER || signature === END_OF_CENTRAL) return undefined;
  if (signature !== LOCAL_HEADER) throw new ExportFileError('not a ZIP archive (no local file header)');
  const fixed = await bytes.take(26, 'a local file header');
  const flags = fixed.readUInt16LE(2);
  const method = fixed.readUInt16LE(4);
  const name = (await bytes.take(fixed.readUInt16LE(22), 'a file name')).toString('utf8');
  const extra = await bytes.take(fixed.readUInt16LE(24), 'an extra field');
  const sizes = zip64Sizes(extra, fixed.readUInt32LE(14), fixed.readUInt32LE(18));
  if (flags & FLAG_ENCRYPTED) throw new ExportFileError(`ZIP entry ${name} is encrypted`);
  if (method !== 0 && method !== 8) throw new ExportFileError(`ZIP entry ${name} uses compression method ${method} (only stored and deflate are read)`);
  return { name, flags, method, compressedSize: sizes.compressed, zip64: sizes.zip64 };
};

/** A stored entry: its bytes as they are. */
async function* storedData(bytes: ByteReader, header: LocalHeader): AsyncGenerator<Buffer> {
  if (header.flags & FLAG_DESCRIPTOR) throw new ExportFileError(`ZIP entry ${header.name} is stored without sizes: it cannot be streamed`);
  for (let left = header.compressedSize; left > 0; ) {
    const chunk = await bytes.chunk(left);
    if (!chunk) throw new ExportFileError(`ZIP archive ends inside ${header.name}`);
    left -= chunk.length;
    yield chunk;
  }
}

/**
 * A deflated entry, inflated as it arrives. With a known size exactly that many bytes are fed; with
 * a data descriptor chunks are fed until the deflate stream ends, and the unused tail goes back.
 */
async function* deflatedData(bytes: ByteReader, header: LocalHeader): AsyncGenerator<Buffer> {
  const known = !(header.flags & FLAG_DESCRIPTOR);
  const inflater = createInflateRaw();
  const output: Buffer[] = [];
  let ended = false;
  let failure: Error | undefined;
  inflater.on('data', (chunk: Buffer) => output.push(chunk));
  inflater.on('end', () => (ended = true));
  inflater.on('error', (error: Error) => (failure = error));
  let fed = 0;
  while (!ended && !failure && (!known || fed < header.compressedSize)) {
    const chunk = await bytes.chunk(known ? header.compressedSize - fed : undefined);
    if (!chunk) throw new ExportFileError(`ZIP archive ends inside ${header.name}`);
    fed += chunk.length;
    await new Promise<void>((resolve) => inflater.write(chunk, () => resolve()));
    yield* output.splice(0);
    // zlib stops at the end of the deflate stream: what it did not use belongs to what follows.
    if (inflater.bytesWritten < fed) {
      bytes.unshift(chunk.subarray(chunk.length - (fed - inflater.bytesWritten)));
      break;
    }
  }
  if (!ended && !failure) await new Promise<void>((resolve) => inflater.end(() => resolve()));
  if (failure) throw new ExportFileError(`ZIP entry ${header.name} is not valid deflate data: ${failure.message}`);
  yield* output.splice(0);
}

/** Skips a data descriptor (signature optional; sizes of 8 bytes each in Zip64). */
const skipDescriptor = async (bytes: ByteReader, header: LocalHeader): Promise<void> => {
  const sizes = header.zip64 ? 16 : 8;
  await bytes.fill(4);
  const first = await bytes.take(4, 'a data descriptor');
  await bytes.take(first.readUInt32LE(0) === DESCRIPTOR ? 4 + sizes : sizes, 'a data descriptor');
};

/**
 * Every entry of a ZIP archive, in archive order: `{ entry }` when one starts, then `{ data }`
 * chunks of its uncompressed bytes. Directory entries are skipped.
 */
export async function* readZip(source: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<ZipPart> {
  const bytes = new ByteReader(source);
  for (let header = await readLocalHeader(bytes); header; header = await readLocalHeader(bytes)) {
    const directory = header.name.endsWith('/');
    if (!directory) yield { entry: header.name };
    const data = header.method === 0 ? storedData(bytes, header) : deflatedData(bytes, header);
    for await (const chunk of data) if (!directory) yield { data: chunk };
    if (header.flags & FLAG_DESCRIPTOR) await skipDescriptor(bytes, header);
  }
}
