/**
 * Braze over HTTP (domain/ports.ts `BrazeRestApi`, `ExportDownloader`): `POST {rest url}/users/export/segment`
 * with the REST API key as bearer token, and the download of an export's URL, streamed. Neither the
 * key nor the URL (a bearer secret for a few hours) appears in an outcome or an error text.
 */
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import type { BrazeRestApi, DownloadOutcome, ExportDownloader } from '../domain/ports';
import { segmentExportAnswerSchema } from '../schemas/braze-export';
import { redact } from './abtasty-http';

/** Braze answers an export request quickly; the export itself is built afterwards. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Headers of a download must arrive within this; the body then streams for as long as it takes. */
const DOWNLOAD_HEADERS_TIMEOUT_MS = 60_000;

export const brazeRestApi = (fetchFn: typeof fetch = fetch): BrazeRestApi => ({
  async exportSegment(restUrl, apiKey, body) {
    const response = await fetchFn(`${restUrl}/users/export/segment`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${apiKey}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = redact((await response.text()).slice(0, 4000), [apiKey]);
    if (!response.ok) return { ok: false, status: response.status, message: text || response.statusText };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { ok: false, status: response.status, message: 'Braze answered with a body that is not JSON' };
    }
    const answer = segmentExportAnswerSchema.safeParse(parsed);
    if (!answer.success) return { ok: false, status: response.status, message: 'Braze answered without message/object_prefix' };
    return { ok: true, ...(answer.data.object_prefix ? { objectPrefix: answer.data.object_prefix } : {}), ...(answer.data.url ? { url: answer.data.url } : {}) };
  },
});

export const httpDownloader = (fetchFn: typeof fetch = fetch): ExportDownloader => ({
  async get(url): Promise<DownloadOutcome> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), DOWNLOAD_HEADERS_TIMEOUT_MS);
    let response: Response;
    try {
      response = await fetchFn(url, { signal: controller.signal });
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      return { ready: false, status: response.status };
    }
    return { ready: true, body: Readable.fromWeb(response.body as ReadableStream<Uint8Array>) };
  },
});
