/**
 * The Currents archive (`EventArchive` port of domain/event-archive.ts): in AWS one S3 PutObject per
 * archive object into the archive bucket (`EVENT_ARCHIVE_BUCKET`; the worker may only put under
 * `currents/`); locally the same keys as files under a folder (`HUB_LOCAL_ARCHIVE_DIR`), written to a
 * temporary name and renamed, so a reader never sees half an object. Both overwrite whole objects.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { inLanes } from '../shared/lanes';
import type { ArchiveObject, EventArchive } from '../domain/ports';
import { withoutSdkLogger } from './aws-clients';

/** Objects written at once by one message (one per day and type it holds). */
const PUT_CONCURRENCY = 8;

/** S3: PutObject per object (SSE-S3 by the bucket's default encryption; JSON lines, gzip-compressed). */
export const s3EventArchive = (bucket: string, s3: Pick<S3Client, 'send'> = withoutSdkLogger(new S3Client({}))): EventArchive => ({
  append: (objects) =>
    inLanes(objects, PUT_CONCURRENCY, async (object: ArchiveObject) => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: object.key, Body: object.body, ContentType: 'application/x-ndjson' }));
    }),
});

/** A folder standing for the archive bucket: `<dir>/<key>`. Keys are the domain's own, checked to stay inside the folder. */
export const folderEventArchive = (dir: string): EventArchive => {
  const root = resolve(dir);
  return {
    append: (objects) =>
      inLanes(objects, PUT_CONCURRENCY, async (object: ArchiveObject) => {
        const path = resolve(join(root, object.key));
        if (!path.startsWith(`${root}${sep}`)) throw new Error(`archive key outside the archive: ${object.key}`);
        await mkdir(dirname(path), { recursive: true });
        // A name of its own: two copies of one message may write the same key at once.
        const temporary = `${path}.${randomUUID()}.tmp`;
        await writeFile(temporary, object.body);
        await rename(temporary, path);
      }),
  };
};

/** The archive for this process: the local folder when set, else the bucket. */
export const eventArchiveFor = (target: { localDir?: string; bucket?: string }): EventArchive => {
  if (target.localDir) return folderEventArchive(target.localDir);
  if (!target.bucket) throw new Error('EVENT_ARCHIVE_BUCKET is not set (and no HUB_LOCAL_ARCHIVE_DIR)');
  return s3EventArchive(target.bucket);
};
