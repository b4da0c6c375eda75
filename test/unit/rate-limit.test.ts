import { countRequest, enforceRateLimit, rateWindow } from '../../functions/domain/rate-limit';
import { HubError } from '../../functions/shared/errors';
import { fakeLimiter } from './fakes/cohort-import';

const NOW = Date.parse('2026-03-01T12:20:00Z');

describe('rate limit', () => {
  it('lets a request within the limit through with the X-RateLimit headers', async () => {
    const outcome = await countRequest(fakeLimiter(2), 'ws', NOW);

    expect(outcome).toEqual({ allowed: true, headers: { 'X-RateLimit-Limit': '2', 'X-RateLimit-Remaining': '1', 'X-RateLimit-Reset': String(rateWindow(NOW, 3600).end) } });
  });

  it('refuses a request over the limit until the window ends, as a typed outcome', async () => {
    const limiter = fakeLimiter(1);
    await countRequest(limiter, 'ws', NOW);

    const outcome = await countRequest(limiter, 'ws', NOW);

    expect(outcome).toMatchObject({ allowed: false, retryAfterSeconds: 40 * 60, headers: { 'X-RateLimit-Remaining': '0' } });
  });

  it('enforceRateLimit still answers 429 with Retry-After for the ingest route', async () => {
    const limiter = fakeLimiter(0);

    const refusal = await enforceRateLimit(limiter, 'ws', NOW).catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(HubError);
    expect(refusal).toMatchObject({ status: 429, headers: { 'Retry-After': String(40 * 60), 'X-RateLimit-Limit': '0' } });
  });
});
