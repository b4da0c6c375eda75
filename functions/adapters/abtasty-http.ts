/**
 * What the AB Tasty adapters share: the documented default URLs (overridable by env, so the local
 * stack and tests point at a fake), and turning a fetch answer or failure into an `HttpOutcome`
 * with every secret of the request removed from the text.
 */
import type { HttpOutcome } from '../domain/abtasty-retry';
import { abTastyEndpointOverrides } from '../shared/config';

/** AB Tasty public API token route (docs/abtasty-delivery.md, "Sources"). */
export const ABTASTY_TOKEN_URL = 'https://api.abtasty.com/oauth/v2/token';

/** AB Tasty Universal Data Connector base URL; the route appends `/accounts/{account}/segments/{partner}`. */
export const ABTASTY_UDC_URL = 'https://api-data-connector.abtasty.com';

/** The URLs in effect: `ABTASTY_TOKEN_URL` / `ABTASTY_UDC_URL` when set, else AB Tasty's own. */
export const abTastyUrls = (env: Record<string, string | undefined> = abTastyEndpointOverrides()): { tokenUrl: string; udcUrl: string } => ({
  tokenUrl: env.ABTASTY_TOKEN_URL || ABTASTY_TOKEN_URL,
  udcUrl: (env.ABTASTY_UDC_URL || ABTASTY_UDC_URL).replace(/\/+$/, ''),
});

/** Characters of an answer body kept (the report keeps fewer). */
const MAX_ANSWER_CHARS = 4000;

/** `text` with every occurrence of each secret (of 4+ characters) replaced by `[redacted]`. */
export const redact = (text: string, secrets: readonly string[]): string =>
  secrets.filter((secret) => secret.length >= 4).reduce((current, secret) => current.split(secret).join('[redacted]'), text);

/** A timeout (AbortSignal.timeout fired) or any other failure to get an answer. */
export const failureOutcome = (error: unknown, secrets: readonly string[]): HttpOutcome => {
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return { kind: 'timeout', message: 'no answer before the timeout' };
  const cause = (error as { cause?: { message?: string; code?: string } } | undefined)?.cause;
  const detail = [String((error as Error | undefined)?.message ?? error), cause?.code ?? cause?.message].filter(Boolean).join(': ');
  return { kind: 'unreachable', message: redact(detail, secrets) };
};

/** An answer: its status, its body as text (cut, secrets removed) and `Retry-After` when present. */
export const answeredOutcome = async (response: Response, secrets: readonly string[]): Promise<HttpOutcome> => {
  const body = (await response.text()).slice(0, MAX_ANSWER_CHARS);
  const message = redact(body.trim() || response.statusText || `HTTP ${response.status}`, secrets);
  const retryAfter = response.headers.get('retry-after') ?? undefined;
  return retryAfter === undefined ? { kind: 'answered', status: response.status, message } : { kind: 'answered', status: response.status, message, retryAfter };
};
