/**
 * Bounded concurrency that never leaves work running behind a failure. In Lambda, work still
 * running when the handler returns is frozen mid-way and may resume in a later invocation (a member
 * partition it holds would stay held until its lease), so every helper here waits for what it
 * started before it throws.
 */

/** Waits for every promise, then throws the first rejection (unlike `Promise.all`, which returns at the first). */
export const allSettled = async (promises: readonly Promise<unknown>[]): Promise<void> => {
  const failure = (await Promise.allSettled(promises)).find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
};

/**
 * Runs `work` over every item with at most `concurrency` in flight (at least one lane). After a
 * failure no lane starts another item; the first error is thrown once the items in flight have ended.
 */
export const inLanes = async <T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> => {
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (next < items.length && !failed) {
      await work(items[next++] as T).catch((error: unknown) => {
        failed = true;
        throw error;
      });
    }
  };
  await allSettled(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
};
