/**
 * AB Tasty Universal Data Connector upload: `POST {udcUrl}/accounts/{account}/segments/{partner}`
 * with `Authorization: Bearer <token>` and the file streamed as the body (`duplex: 'half'`), so a
 * push never holds its file in memory. Every HTTP answer, a timeout or a connection failure comes
 * back as an `HttpOutcome`; it throws only for a programmer error (a bad account or partner, an
 * empty token) or when the member source behind the body fails (that is the hub's failure, not
 * AB Tasty's, and the worker's retry handles it).
 */
import { UDC_PATH_PART, type UdcSender, type UdcUpload } from '../domain/abtasty-delivery';
import type { HttpOutcome } from '../domain/abtasty-retry';
import { logger } from '../shared/powertools';
import { abTastyUrls, answeredOutcome, failureOutcome } from './abtasty-http';

export interface UdcSenderOptions {
  /** Default: `ABTASTY_UDC_URL`, else AB Tasty's documented URL. */
  readonly udcUrl?: string;
  /** The whole request, body upload included. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/** Five minutes: a large push streams for a while; Lambda's own limit is 15. */
export const DEFAULT_UDC_TIMEOUT_MS = 300_000;

/** The UDC route for an account and partner. */
export const udcRoute = (udcUrl: string, account: string, partner: string): string => {
  if (!UDC_PATH_PART.test(account) || !UDC_PATH_PART.test(partner)) throw new TypeError('AB Tasty account and partner must match UDC_PATH_PART');
  return `${udcUrl.replace(/\/+$/, '')}/accounts/${account}/segments/${partner}`;
};

/**
 * A pull-based stream over the body chunks. A failure of the chunk source is kept in `failure`
 * (fetch wraps it into a generic error) so the sender can rethrow the original.
 */
const bodyStream = (chunks: AsyncIterable<Uint8Array>, failure: { error?: Error }): ReadableStream<Uint8Array> => {
  const iterator = chunks[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (error) {
        failure.error = error instanceof Error ? error : new Error(String(error));
        controller.error(failure.error);
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
};

/** The UDC sender. */
export const abTastyUdcSender = (options: UdcSenderOptions = {}): UdcSender => {
  const udcUrl = options.udcUrl ?? abTastyUrls().udcUrl;
  return {
    async send(upload: UdcUpload): Promise<HttpOutcome> {
      const url = udcRoute(udcUrl, upload.account, upload.partner);
      if (!upload.token) throw new TypeError('AB Tasty upload without a token');
      const secrets = [upload.token];
      const failure: { error?: Error } = {};
      try {
        const response = await (options.fetch ?? fetch)(url, {
          method: 'POST',
          headers: { Authorization: `Bearer ${upload.token}`, 'Content-Type': upload.contentType, Accept: 'application/json, text/plain;q=0.9, */*;q=0.1' },
          body: bodyStream(upload.body, failure),
          duplex: 'half',
          signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_UDC_TIMEOUT_MS),
        });
        const outcome = await answeredOutcome(response, secrets);
        logger.info('AB Tasty UDC answered', { account: upload.account, partner: upload.partner, status: response.status });
        return outcome;
      } catch (error) {
        if (failure.error !== undefined) throw failure.error;
        const outcome = failureOutcome(error, secrets);
        logger.warn('AB Tasty UDC upload failed', { account: upload.account, partner: upload.partner, outcome: outcome.kind, message: outcome.message });
        return outcome;
      }
    },
  };
};
