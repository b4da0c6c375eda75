/**
 * The local stand-in for the Braze import bucket and its S3 event notification: a watched folder,
 * `<root>/<bucket>/<key>` (`.hub/s3/hub-local-braze-import/…` under `npm start`). A file that appears
 * under a notification prefix (`segment-export/` by default, as in AWS without configured segments)
 * is sent to the brazeExport queue as the same `ObjectCreated:Put` event JSON S3 sends, once its size
 * has stopped changing; the worker then reads it from the folder (`HUB_LOCAL_S3_DIR`). Files present
 * when the watcher starts are not announced: S3 notifies new objects only.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { s3ObjectCreatedEvent } from '../../functions/schemas/braze-export';
import { SEGMENT_EXPORT_PREFIX } from '../../functions/shared/definitions/buckets';

export interface S3FolderOptions {
  readonly root: string;
  readonly bucket: string;
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly queueUrl: string;
  /** Key prefixes that notify (S3's prefix filter); default `segment-export/`. */
  readonly prefixes?: readonly string[];
  readonly intervalMs?: number;
}

export interface S3FolderWatcher {
  /** The folder that stands for the bucket. */
  readonly dir: string;
  stop(): void;
}

/** Every file under `dir`, by key (`/`-separated path from the bucket folder), with its size and mtime. */
const listFiles = (dir: string, base = dir): Map<string, { size: number; mtimeMs: number }> => {
  const files = new Map<string, { size: number; mtimeMs: number }>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) for (const [key, stat] of listFiles(path, base)) files.set(key, stat);
    else if (entry.isFile()) {
      const stat = statSync(path);
      files.set(relative(base, path).split(sep).join('/'), { size: stat.size, mtimeMs: stat.mtimeMs });
    }
  }
  return files;
};

export const startS3Folder = (options: S3FolderOptions): S3FolderWatcher => {
  const dir = join(options.root, options.bucket);
  mkdirSync(dir, { recursive: true });
  const prefixes = options.prefixes ?? [SEGMENT_EXPORT_PREFIX];
  const signature = (stat: { size: number; mtimeMs: number }) => `${stat.size}:${stat.mtimeMs}`;
  /** Last seen signature per key; `announced` holds what was sent (or was there at start). */
  const seen = new Map([...listFiles(dir)].map(([key, stat]) => [key, signature(stat)]));
  const announced = new Map(seen);
  const scan = async () => {
    for (const [key, stat] of listFiles(dir)) {
      const now = signature(stat);
      const previous = seen.get(key);
      seen.set(key, now);
      // Stable across two scans (the writer is done), new or changed since announced, under a prefix.
      if (previous !== now || announced.get(key) === now || !prefixes.some((prefix) => key.startsWith(prefix))) continue;
      announced.set(key, now);
      const event = s3ObjectCreatedEvent(options.bucket, key, stat.size, new Date(stat.mtimeMs).toISOString(), Math.round(stat.mtimeMs).toString(16).toUpperCase());
      await options.sqs.send(new SendMessageCommand({ QueueUrl: options.queueUrl, MessageBody: JSON.stringify(event) }));
    }
  };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    // A failed send is tried again on the next scan; the local stack keeps running.
    scan()
      .catch((error: unknown) => {
        for (const key of announced.keys()) if (!seen.has(key)) announced.delete(key);
        console.error(`local S3 folder: ${(error as Error).message}`);
      })
      .finally(() => (running = false));
  }, options.intervalMs ?? 500);
  timer.unref();
  return { dir, stop: () => clearInterval(timer) };
};
