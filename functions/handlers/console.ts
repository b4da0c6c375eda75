/**
 * GET /console and GET /console/{asset} (public): the web console, a single page that signs in with
 * the workspace's apiKey and reads everything else from the public API, same origin. Every answer
 * carries a strict Content-Security-Policy: scripts, styles and requests from this origin only, no
 * inline script, no framing.
 */
import { consoleAsset } from '../adapters/console-assets';
import { systemClock } from '../domain/ports';
import { refusal, type HttpResponse } from '../shared/http';
import { httpRouter } from '../shared/router';

/** The console's policy: nothing inline, nothing from another origin. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

const serve = (name: string): HttpResponse => {
  const asset = consoleAsset(name);
  if (!asset) return { ...refusal(404, 'Not found'), headers: SECURITY_HEADERS };
  return { status: 200, text: asset.body, headers: { ...SECURITY_HEADERS, 'Content-Type': asset.contentType, 'Cache-Control': 'no-cache' } };
};

export const handler = httpRouter<'console', undefined>('console', {
  authenticate: {},
  routes: {
    'GET /console': () => Promise.resolve(serve('index.html')),
    'GET /console/{asset}': (request) => Promise.resolve(serve(request.pathParameters.asset ?? '')),
  },
}, { clock: systemClock });
