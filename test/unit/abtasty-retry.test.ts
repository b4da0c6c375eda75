import fc from 'fast-check';
import { backoffMs, DEFAULT_RETRY_POLICY, nextRetry, parseRetryAfter, verdictOf, type HttpOutcome } from '../../functions/domain/abtasty-retry';

const answered = (status: number, retryAfter?: string): HttpOutcome =>
  retryAfter === undefined ? { kind: 'answered', status, message: 'm' } : { kind: 'answered', status, message: 'm', retryAfter };
const NOW = Date.parse('2026-11-24T10:00:00Z');
const policy = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 8000, maxRetryAfterMs: 60_000 };

describe('verdicts', () => {
  it.each([
    [200, 'success'],
    [202, 'success'],
    [204, 'success'],
    [401, 'refresh-token'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [400, 'fail'],
    [403, 'fail'],
    [404, 'fail'],
    [413, 'fail'],
    [415, 'fail'],
    [301, 'fail'],
  ])('HTTP %i → %s', (status, verdict) => {
    expect(verdictOf(answered(status))).toBe(verdict);
  });

  it('retries timeouts and connection failures', () => {
    expect(verdictOf({ kind: 'timeout', message: 't' })).toBe('retry');
    expect(verdictOf({ kind: 'unreachable', message: 'ECONNREFUSED' })).toBe('retry');
  });
});

describe('Retry-After', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
  });

  it('reads an HTTP-date relative to now; a past date is 0', () => {
    expect(parseRetryAfter('Tue, 24 Nov 2026 10:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Tue, 24 Nov 2026 09:00:00 GMT', NOW)).toBe(0);
  });

  it.each([undefined, '', '-5', '1.5', 'soon', '12abc'])('ignores %j', (header) => {
    expect(parseRetryAfter(header, NOW)).toBeUndefined();
  });
});

describe('backoff with full jitter', () => {
  it('draws in [0, min(max, base × 2^(retry-1)))', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (retry, draw) => {
        const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
        const delay = backoffMs(retry, policy, () => draw);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }),
    );
    expect(backoffMs(1, policy, () => 0.5)).toBe(500);
    expect(backoffMs(3, policy, () => 0.5)).toBe(2000);
    expect(backoffMs(10, policy, () => 0.5)).toBe(4000);
  });
});

describe('next retry', () => {
  it('waits at least what Retry-After asks, even when the jitter draws less', () => {
    expect(nextRetry(answered(429, '7'), 1, policy, NOW, () => 0)).toEqual({ retry: true, delayMs: 7000 });
    expect(nextRetry(answered(429, 'Tue, 24 Nov 2026 10:00:03 GMT'), 1, policy, NOW, () => 0)).toEqual({ retry: true, delayMs: 3000 });
  });

  it('takes the jitter when it is longer than Retry-After, or when there is none', () => {
    expect(nextRetry(answered(503, '0'), 3, policy, NOW, () => 0.5)).toEqual({ retry: true, delayMs: 2000 });
    expect(nextRetry({ kind: 'timeout', message: 't' }, 2, policy, NOW, () => 0.25)).toEqual({ retry: true, delayMs: 500 });
  });

  it('stops after the last attempt, or when Retry-After asks for longer than the policy allows', () => {
    expect(nextRetry(answered(500), 4, policy, NOW, () => 0)).toEqual({ retry: false, reason: 'attempts' });
    expect(nextRetry(answered(429, '3600'), 1, policy, NOW, () => 0)).toEqual({ retry: false, reason: 'retry-after' });
  });

  it('has sane defaults', () => {
    expect(DEFAULT_RETRY_POLICY.maxAttempts).toBeGreaterThan(1);
    expect(DEFAULT_RETRY_POLICY.maxRetryAfterMs).toBeLessThan(15 * 60_000);
  });
});
