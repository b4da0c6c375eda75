/**
 * The bulk first-setup path of a user file (CSV or JSONL, `users import`): per chunk it reads the
 * directory once (who holds the chunk's identifiers, which profiles exist), groups rows per user
 * (user-import.ts `groupRows`), writes new profiles and their claims in batches, and claims the new
 * identifiers of known profiles one by one through the transactional claim (the live rules).
 * Re-running a file converges: ids are derived deterministically and claims are idempotent.
 */
import type { Profile } from '../schemas/directory';
import { isLive } from '../schemas/directory';
import type { Chunk, ImportRun } from './directory-import';
import { identifierKey } from './identifiers';
import { groupRows, recordIdentifiers, type ImportRecord, type ImportReject, type ImportRow } from './user-import';

const reject = (run: ImportRun, rejects: readonly ImportReject[]): void => {
  for (const each of rejects) {
    run.counts.rejected += 1;
    run.sink.reject(each);
  }
};

/** Every identifier key a chunk's rows name. */
const chunkKeys = (rows: readonly ImportRow[]): string[] =>
  rows.flatMap((row) => [
    ...(row.externalId ? [identifierKey({ kind: 'external_id', value: row.externalId })] : []),
    ...row.aliases.map((alias) => identifierKey({ kind: 'alias', ...alias })),
    ...row.deviceIds.map((value) => identifierKey({ kind: 'device_id', value })),
  ]);

/**
 * An already-known profile: its new identifiers through the transactional claim (external id first,
 * so device claims are written already marked as belonging to an identified user).
 */
const claimForExisting = async (run: ImportRun, record: ImportRecord, existing: Profile, raw: ReadonlyMap<number, string>): Promise<void> => {
  const { directory } = run.deps;
  const { workspaceId } = run.input;
  const first = record.lines[0] ?? 0;
  if (!isLive(existing)) {
    reject(run, record.lines.map((line) => ({ line, reason: `user ${record.brazeId} was merged or deleted`, raw: raw.get(line) ?? '' })));
    return;
  }
  let changed = false;
  const held = new Set(recordIdentifiers(existing).map(identifierKey));
  for (const identifier of recordIdentifiers(record)) {
    if (held.has(identifierKey(identifier))) continue;
    const outcome = await directory.claim(workspaceId, record.brazeId, identifier, run.now);
    if (outcome === 'claimed') {
      run.counts.identifiersClaimed += 1;
      changed = true;
    } else {
      reject(run, [{ line: first, reason: `${identifierKey(identifier)}: ${outcome}`, raw: raw.get(first) ?? '' }]);
    }
  }
  if (!changed) {
    run.counts.profilesUnchanged += 1;
    return;
  }
  run.counts.profilesUpdated += 1;
  if (record.externalId !== undefined) await directory.markClaimsIdentified(workspaceId, record.brazeId);
};

/**
 * One chunk: who already holds its identifiers (rows meet their existing profiles through them),
 * rows grouped per user, new profiles and their claims in batch, known profiles claim one by one.
 */
export const applyBulkChunk = async (run: ImportRun, chunk: Chunk): Promise<void> => {
  const { directory } = run.deps;
  const { workspaceId } = run.input;
  const claims = await directory.resolveClaims(workspaceId, chunkKeys(chunk.rows));
  const owners = new Map([...claims].map(([key, claim]) => [key, claim.profileId]));
  const { records, rejects } = groupRows(workspaceId, chunk.rows, (line) => chunk.raw.get(line) ?? '', owners);
  reject(run, rejects);
  const profiles = await directory.getProfiles(
    workspaceId,
    records.map((record) => record.brazeId),
  );
  const fresh = records.filter((record) => !profiles.has(record.brazeId));
  await directory.putNewProfiles(workspaceId, fresh, run.now);
  run.counts.profilesCreated += fresh.length;
  for (const record of records) {
    const existing = profiles.get(record.brazeId);
    if (existing) await claimForExisting(run, record, existing, chunk.raw);
  }
  run.counts.identifiersClaimed += fresh.reduce((sum, record) => sum + recordIdentifiers(record).length, 0);
};
