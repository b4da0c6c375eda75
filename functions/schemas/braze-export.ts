/**
 * Messages of the `brazeExport` queue, and Braze's answer to `POST /users/export/segment`.
 *
 * The queue carries three shapes: S3 event notifications of the import bucket (`{"Records": […]}`,
 * as S3 sends them, and the `s3:TestEvent` S3 sends when a notification is configured), and the
 * hub's own download jobs (a Braze download URL to fetch once the export is ready). Each is read
 * into one message type with a `dedupeKey` for the worker's idempotency.
 */
import * as z from 'zod/mini';

const s3RecordSchema = z.looseObject({
  eventName: z.optional(z.string()),
  s3: z.looseObject({
    bucket: z.looseObject({ name: z.string() }),
    object: z.looseObject({ key: z.string(), size: z.optional(z.number()), sequencer: z.optional(z.string()) }),
  }),
});

const s3EventSchema = z.looseObject({ Records: z.array(s3RecordSchema) });
const s3TestEventSchema = z.looseObject({ Event: z.literal('s3:TestEvent'), RequestId: z.optional(z.string()), Time: z.optional(z.string()) });

export const downloadJobSchema = z.object({
  type: z.literal('download'),
  dedupeKey: z.string(),
  workspaceId: z.string(),
  segmentId: z.string(),
  /** Braze's download URL: a bearer secret for a few hours, never logged. */
  url: z.string(),
  /** When the hub asked Braze for the export (epoch ms): the version of every fact in it. */
  version: z.number(),
  /** Braze's `object_prefix`, naming the export in the report. */
  objectPrefix: z.optional(z.string()),
  /** Downloads tried so far (the URL answers only once the export is ready). */
  attempt: z.number(),
});

export type DownloadJob = z.infer<typeof downloadJobSchema>;

export interface ExportObjectRef {
  readonly bucket: string;
  readonly key: string;
}

export type BrazeExportMessage =
  | { readonly kind: 's3'; readonly dedupeKey: string; readonly objects: readonly ExportObjectRef[] }
  | ({ readonly kind: 'download' } & DownloadJob)
  | { readonly kind: 'test'; readonly dedupeKey: string };

/** S3 event keys are URL-encoded, with `+` for a space. */
export const decodeS3Key = (key: string): string => {
  try {
    return decodeURIComponent(key.replace(/\+/g, '%20'));
  } catch {
    return key;
  }
};

type S3Event = z.infer<typeof s3EventSchema>;
type S3TestEvent = z.infer<typeof s3TestEventSchema>;
type Incoming = DownloadJob | S3Event | S3TestEvent;

const isDownload = (incoming: Incoming): incoming is DownloadJob => (incoming as { type?: unknown }).type === 'download';
const isTest = (incoming: Incoming): incoming is S3TestEvent => (incoming as { Event?: unknown }).Event === 's3:TestEvent';

const toMessage = (incoming: Incoming): BrazeExportMessage => {
  if (isDownload(incoming)) return { kind: 'download', ...incoming };
  if (isTest(incoming)) return { kind: 'test', dedupeKey: `s3-test#${incoming.RequestId ?? incoming.Time ?? ''}` };
  const event: S3Event = incoming;
  const objects = event.Records.map((record) => ({ bucket: record.s3.bucket.name, key: decodeS3Key(record.s3.object.key) }));
  const version = event.Records.map((record) => record.s3.object.sequencer ?? String(record.s3.object.size ?? '')).join(',');
  return { kind: 's3', dedupeKey: `s3#${objects.map((object) => `${object.bucket}/${object.key}`).join(',')}#${version}`, objects };
};

export const brazeExportMessageSchema = z.pipe(z.union([downloadJobSchema, s3EventSchema, s3TestEventSchema]), z.transform(toMessage));

/** Braze's answer: `message`, `object_prefix`, and `url` when it has no bucket to write to. */
export const segmentExportAnswerSchema = z.looseObject({
  message: z.optional(z.string()),
  object_prefix: z.optional(z.string()),
  url: z.optional(z.string()),
});

/** The S3 event notification S3 would send for an object (what the local watched folder sends too). */
export const s3ObjectCreatedEvent = (bucket: string, key: string, size: number, eventTime: string, sequencer: string) => ({
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime,
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'braze-export',
        bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
        object: { key: encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+'), size, sequencer },
      },
    },
  ],
});
