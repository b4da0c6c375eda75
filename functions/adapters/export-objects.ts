/**
 * Objects of the Braze import bucket (domain/ports.ts `ExportObjectSource`): in AWS an S3
 * `GetObject` streamed as it downloads, and a `hub-import=applied` tag once applied (the bucket's
 * lifecycle deletes tagged objects after their retention); in the local stack the same object read
 * from the watched folder `<dir>/<bucket>/<key>` (scripts/local/s3-folder.ts), where tagging is a
 * no-op. The import bucket is `HUB_LOCAL_S3_DIR` locally, S3 otherwise (shared/config.ts).
 */
import { createReadStream } from 'node:fs';
import { resolve, sep } from 'node:path';
import { GetObjectCommand, PutObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import type { ExportObjectSource } from '../domain/ports';
import { IMPORT_APPLIED_TAG } from '../shared/definitions/buckets';
import { withoutSdkLogger } from './aws-clients';

export const s3ObjectSource = (s3: S3Client = withoutSdkLogger(new S3Client({}))): ExportObjectSource => ({
  async open(bucket, key) {
    const result = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!result.Body) throw new Error(`s3://${bucket}/${key} has no body`);
    return result.Body as AsyncIterable<Uint8Array>;
  },
  async markApplied(bucket, key) {
    await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, Tagging: { TagSet: [{ Key: IMPORT_APPLIED_TAG.key, Value: IMPORT_APPLIED_TAG.value }] } }));
  },
});

/** The watched folder of the local stack: `<root>/<bucket>/<key>`; a key cannot leave its bucket's folder. */
export const folderObjectSource = (root: string): ExportObjectSource => ({
  open(bucket, key) {
    const base = resolve(root, bucket);
    const path = resolve(base, key);
    if (!path.startsWith(base + sep)) return Promise.reject(new Error('object key outside its bucket folder'));
    return Promise.resolve(createReadStream(path));
  },
  markApplied: () => Promise.resolve(),
});
