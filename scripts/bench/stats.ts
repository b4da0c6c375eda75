/** Small statistics and load helpers for the benchmarks. */
export const percentile = (values: number[], p: number): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

/** Runs `task` `count` times with `concurrency` in flight; returns each call's latency in ms. */
export const timedLoad = async (count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<number[]> => {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next;
      if (index >= count) return;
      next += 1;
      const started = performance.now();
      await task(index);
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  return latencies;
};

export const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;
