/**
 * Retry pacing and batching shared by the DynamoDB helpers: chunks of a call's size limit, a few
 * calls in flight at once, and exponential back-off with full jitter (AWS's advice: unprocessed
 * items and cancelled transactions come back when a partition is throttled or contended, and an
 * immediate retry would meet the same contention).
 */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits a random time below `min(capMs, baseMs · 2^attempt)`. */
export const backoff = (attempt: number, baseMs: number, capMs: number): Promise<void> => sleep(Math.random() * Math.min(capMs, baseMs * 2 ** attempt));

/** `items` in slices of at most `size`. */
export const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
};
