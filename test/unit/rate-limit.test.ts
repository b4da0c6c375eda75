import { rateWindow, retryAfterSeconds } from '../../functions/domain/rate-limit';
import { rateLimitHeaders } from '../../functions/handlers/http/cohort-import';
import { fakeLimiter } from './fakes/cohort-import';

const NOW = Date.parse('2026-03-01T12:20:00Z');

describe('rate limit', () => {
  it('lets a request within the limit through, with the X-RateLimit headers the handler sends', async () => {
    const decision = await fakeLimiter(2).hit('ws', NOW);

    expect(decision.allowed).toBe(true);
    expect(rateLimitHeaders(decision)).toEqual({ 'X-RateLimit-Limit': '2', 'X-RateLimit-Remaining': '1', 'X-RateLimit-Reset': String(rateWindow(NOW, 3600).end) });
  });

  it('refuses a request over the limit until the window ends', async () => {
    const limiter = fakeLimiter(1);
    await limiter.hit('ws', NOW);

    const decision = await limiter.hit('ws', NOW);

    expect([decision.allowed, retryAfterSeconds(decision, NOW), rateLimitHeaders(decision)['X-RateLimit-Remaining']]).toEqual([false, 40 * 60, '0']);
  });
});
