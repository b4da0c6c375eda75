/**
 * Batch reads of profiles from the users table (`<ws>#<brazeId>` / `PROFILE`), for the cohort
 * worker (following merges) and the read API (member pages). Read-only: the directory's write
 * paths live in directory-store.ts.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ProfileReader } from '../domain/cohort-matching';
import { profileSchema, type Profile } from '../schemas/directory';
import { profileKey } from './directory-store';

/** BatchGetItem takes at most 100 keys per call. */
const BATCH_GET_LIMIT = 100;

/** Counts BatchGetItem calls, for benchmarks. */
export interface ProfileReadCounter {
  batchGet: number;
}

export const dynamoProfileReader = (
  db: DynamoDBDocumentClient,
  usersTable: string,
  counter: ProfileReadCounter = { batchGet: 0 },
): ProfileReader & { counter: ProfileReadCounter } => ({
  counter,
  async getProfiles(workspaceId, brazeIds) {
    const found = new Map<string, Profile>();
    const unique = [...new Set(brazeIds)];
    const chunks: string[][] = [];
    for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) chunks.push(unique.slice(start, start + BATCH_GET_LIMIT));
    // Chunks are independent reads: fetch them concurrently (≤10 for a 1,000-identifier request).
    await Promise.all(
      chunks.map(async (chunk) => {
        let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
          [usersTable]: { Keys: chunk.map((id) => profileKey(workspaceId, id)) },
        };
        // UnprocessedKeys (throttling, 16 MB response cap) are retried until none remain.
        while (request && Object.keys(request).length > 0) {
          counter.batchGet += 1;
          const result = await db.send(new BatchGetCommand({ RequestItems: request }));
          for (const item of result.Responses?.[usersTable] ?? []) {
            const profile = profileSchema.parse(item);
            found.set(profile.brazeId, profile);
          }
          request = result.UnprocessedKeys as typeof request;
        }
      }),
    );
    return found;
  },
});
