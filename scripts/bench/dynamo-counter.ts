/**
 * Counts DynamoDB API calls made through a client, by operation, with a middleware on its stack.
 * Attached to the handlers' shared client so a benchmark can report requests per change.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { sampleCpu, type CpuSample } from './cpu';

export interface DynamoCounter {
  readonly counts: Record<string, number>;
  /** CPU used by the hub and by DynamoDB Local when the counts were last reset. */
  readonly cpuAtReset: () => CpuSample;
  reset(): void;
  total(): number;
}

export const countDynamoCalls = (client: DynamoDBClient): DynamoCounter => {
  const counts: Record<string, number> = {};
  let cpuAtReset = sampleCpu();
  client.middlewareStack.add(
    (next, context) => (args) => {
      const name = (context as { commandName?: string }).commandName ?? 'unknown';
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'hubBenchCounter' },
  );
  return {
    counts,
    cpuAtReset: () => cpuAtReset,
    reset: () => {
      for (const key of Object.keys(counts)) delete counts[key];
      cpuAtReset = sampleCpu();
    },
    total: () => Object.values(counts).reduce((sum, n) => sum + n, 0),
  };
};
