/** Ports of the AB Tasty push (issue 13, docs/abtasty-delivery.md): the OAuth token, the UDC upload and the members it streams. */
import type { HttpOutcome } from '../abtasty-retry';
import type { UDC_CONTENT_TYPE } from '../abtasty-udc-file';

/** Port: a valid bearer token, or how the grant failed. */
export type TokenResult = { readonly kind: 'token'; readonly token: string } | { readonly kind: 'failed'; readonly outcome: HttpOutcome };

export interface TokenProvider {
  /** The cached token while it is fresh, else a new grant. */
  token(): Promise<TokenResult>;
  /** After AB Tasty answered 401 to `rejected`: forget it and grant a new one (unless already replaced). */
  refresh(rejected: string): Promise<TokenResult>;
}

export interface UdcUpload {
  readonly account: string;
  readonly partner: string;
  readonly token: string;
  readonly contentType: typeof UDC_CONTENT_TYPE;
  readonly body: AsyncIterable<Uint8Array>;
}

/** Port: one POST to the UDC; never throws for an HTTP status. */
export interface UdcSender {
  send(upload: UdcUpload): Promise<HttpOutcome>;
}

/** Port: a segment's current members, page by page (visitor ids). */
export interface MemberSource {
  pages(segmentId: string): AsyncIterable<readonly string[]>;
}
