/**
 * A local fake of Braze's `POST /users/export/segment` (docs/braze-export.md), enforcing the
 * documented request (bearer REST API key, JSON body with `segment_id` and `fields_to_export`) and
 * answering as Braze does: `{message, object_prefix}` when it writes to the customer's bucket (the
 * fake then writes the files where the local stack's watched folder stands for that bucket), or with
 * a `url` to download a ZIP of all the files (served by the fake, optionally "not ready" a few
 * times first). Records every request. Listens on 127.0.0.1, port 0.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipArchive } from './zip';

export interface ExportRequest {
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

export interface FakeBraze {
  readonly url: string;
  readonly requests: ExportRequest[];
  readonly downloads: number[];
  /** How the next export requests are answered. */
  answerWith(mode: { kind: 'url'; files: string[]; notReadyTimes?: number } | { kind: 'bucket'; bucketDir: string; files: string[] }): void;
  close(): Promise<void>;
}

/** Braze's key layout: `segment-export/<SEGMENT_ID>/<YYYY-MM-dd>/<RANDOM_UUID>-<TIMESTAMP>/<file>.gz`. */
export const brazeExportKey = (segmentId: string, startedAtMs: number, file: string): string =>
  `segment-export/${segmentId}/${new Date(startedAtMs).toISOString().slice(0, 10)}/${randomUUID()}-${Math.floor(startedAtMs / 1000)}/${file}`;

export const startFakeBraze = async (apiKey: string): Promise<FakeBraze> => {
  const requests: ExportRequest[] = [];
  const downloads: number[] = [];
  let mode: Parameters<FakeBraze['answerWith']>[0] = { kind: 'url', files: [] };
  let notReady = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const send = (status: number, body: unknown, type = 'application/json') => {
        response.writeHead(status, { 'Content-Type': type });
        response.end(Buffer.isBuffer(body) ? body : JSON.stringify(body));
      };
      if (request.method === 'GET' && request.url?.startsWith('/download/')) {
        downloads.push(Date.now());
        if (notReady > 0) {
          notReady -= 1;
          return send(404, { message: 'not ready' });
        }
        return send(200, zipArchive(mode.files.map((text, index) => ({ name: `${index}.json`, data: text, descriptor: 'signed' }))), 'application/zip');
      }
      if (request.method !== 'POST' || request.url !== '/users/export/segment') return send(404, { message: 'not found' });
      if (request.headers.authorization !== `Bearer ${apiKey}`) return send(401, { message: 'Invalid API key' });
      let body: { segment_id?: unknown; fields_to_export?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        return send(400, { message: 'Invalid JSON' });
      }
      requests.push({ headers: request.headers, body });
      if (typeof body.segment_id !== 'string' || !Array.isArray(body.fields_to_export)) return send(400, { message: 'segment_id and fields_to_export are required' });
      const startedAt = Date.now();
      const objectPrefix = `${randomUUID()}-${Math.floor(startedAt / 1000)}`;
      if (mode.kind === 'bucket') {
        // As Braze would: one gzip file per few thousand users under the segment's prefix.
        for (const [index, text] of mode.files.entries()) {
          const path = join(mode.bucketDir, brazeExportKey(body.segment_id, startedAt, `${index}.gz`));
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, gzipSync(text));
        }
        return send(201, { message: 'success', object_prefix: objectPrefix });
      }
      notReady = mode.notReadyTimes ?? 0;
      const { port } = server.address() as AddressInfo;
      return send(201, { message: 'success', object_prefix: objectPrefix, url: `http://127.0.0.1:${port}/download/${objectPrefix}.zip` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    downloads,
    answerWith: (next) => {
      mode = next;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
};
