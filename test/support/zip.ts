/**
 * A small ZIP writer for tests (PKWARE APPNOTE local headers, central directory, end record):
 * stored or deflated entries, sizes in the local header or in a data descriptor (with or without
 * its signature, Zip64-sized), so the streaming reader meets every layout real tools write.
 */
import { deflateRawSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export const crc32 = (data: Buffer): number => {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
};

export interface ZipEntryInput {
  readonly name: string;
  readonly data: Buffer | string;
  /** 8 (deflate, default) or 0 (stored). */
  readonly method?: 0 | 8;
  /** Sizes after the data (flag bit 3) instead of in the local header. */
  readonly descriptor?: 'signed' | 'unsigned' | 'zip64';
}

const u16 = (value: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(value);
  return b;
};
const u32 = (value: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  return b;
};
const u64 = (value: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(value));
  return b;
};

/** The archive's bytes. */
export const zipArchive = (entries: readonly ZipEntryInput[]): Buffer => {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const data = Buffer.from(entry.data);
    const method = entry.method ?? 8;
    const body = method === 8 ? deflateRawSync(data) : data;
    const crc = crc32(data);
    const name = Buffer.from(entry.name, 'utf8');
    const flags = entry.descriptor ? 0x8 : 0;
    const zip64 = entry.descriptor === 'zip64';
    const extra = zip64 ? Buffer.concat([u16(1), u16(16), u64(0), u64(0)]) : Buffer.alloc(0);
    const sizes = entry.descriptor ? [u32(0), u32(zip64 ? 0xffffffff : 0), u32(zip64 ? 0xffffffff : 0)] : [u32(crc), u32(body.length), u32(data.length)];
    const header = Buffer.concat([u32(0x04034b50), u16(zip64 ? 45 : 20), u16(flags), u16(method), u16(0), u16(0), ...sizes, u16(name.length), u16(extra.length), name, extra]);
    const descriptor = !entry.descriptor
      ? Buffer.alloc(0)
      : Buffer.concat([
          ...(entry.descriptor === 'unsigned' ? [] : [u32(0x08074b50)]),
          u32(crc),
          ...(zip64 ? [u64(body.length), u64(data.length)] : [u32(body.length), u32(data.length)]),
        ]);
    parts.push(header, body, descriptor);
    central.push(
      Buffer.concat([u32(0x02014b50), u16(20), u16(20), u16(flags), u16(method), u16(0), u16(0), u32(crc), u32(body.length), u32(data.length), u16(name.length), u16(0), u16(0), u16(0), u16(0), u32(0), u32(offset), name]),
    );
    offset += header.length + body.length + descriptor.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(entries.length), u16(entries.length), u32(directory.length), u32(offset), u16(0)]);
  return Buffer.concat([...parts, directory, end]);
};

/** A buffer as an async source of chunks of the given sizes (cycled), as a network or file stream hands them over. */
// eslint-disable-next-line @typescript-eslint/require-await -- an async source, as the reader gets from a stream
export async function* chunked(bytes: Buffer, sizes: readonly number[] = [65536]): AsyncGenerator<Buffer> {
  for (let at = 0, index = 0; at < bytes.length; index += 1) {
    const size = Math.max(1, sizes[index % sizes.length] ?? 1);
    yield bytes.subarray(at, at + size);
    at += size;
  }
}
