/**
 * Counts DynamoDB API calls made through a client, by operation, with a middleware on its stack.
 * Attached to the handlers' shared client so a benchmark can report requests per change.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface DynamoCounter {
  readonly counts: Record<string, number>;
  reset(): void;
  total(): number;
}

export const countDynamoCalls = (client: DynamoDBClient): DynamoCounter => {
  const counts: Record<string, number> = {};
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
    reset: () => {
      for (const key of Object.keys(counts)) delete counts[key];
    },
    total: () => Object.values(counts).reduce((sum, n) => sum + n, 0),
  };
};
