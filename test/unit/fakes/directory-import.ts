/**
 * Deps of a directory import (domain/directory-import.ts) in memory: the fake directory (with the
 * bulk writer the first-setup path uses), the fake membership engine and a fixed clock; and a sink
 * that keeps everything it is told.
 */
import type { DirectoryImportDeps, ImportSink } from '../../../functions/domain/directory-import';
import type { ConflictSample } from '../../../functions/domain/directory-import';
import type { ImportReject } from '../../../functions/domain/user-import';
import { newProfile } from '../../../functions/schemas/directory';
import { FakeDirectory } from './directory';
import { FakeMembership } from './membership';

export const importDeps = (now = 1_800_000_000_000) => {
  const directory = new FakeDirectory();
  const membership = new FakeMembership();
  const deps: DirectoryImportDeps = {
    directory: Object.assign(directory, {
      putNewProfiles: (ws: string, records: readonly { brazeId: string; externalId?: string; aliases: Record<string, string>; deviceIds: readonly string[] }[], at: string) => {
        for (const record of records) {
          directory.seedProfile(ws, record.brazeId, { ...newProfile(ws, record.brazeId, at, { externalId: record.externalId, deviceIds: record.deviceIds }), aliases: { ...record.aliases } });
          const identified = record.externalId !== undefined;
          if (record.externalId !== undefined) directory.seedClaim(ws, `ext#${record.externalId}`, record.brazeId, true);
          for (const [label, name] of Object.entries(record.aliases)) directory.seedClaim(ws, `alias#${label}#${name}`, record.brazeId, identified);
          for (const device of record.deviceIds) directory.seedClaim(ws, `dev#${device}`, record.brazeId, identified);
        }
        return Promise.resolve();
      },
    }),
    membership,
    clock: { now: () => now },
  };
  return { deps, directory, membership };
};

export const recordingSink = () => {
  const rejects: ImportReject[] = [];
  const conflicts: ConflictSample[] = [];
  const sink: ImportSink = { reject: (reject) => rejects.push(reject), conflict: (conflict) => conflicts.push(conflict) };
  return { sink, rejects, conflicts };
};

/** Lines as an async source (what fileLines yields). */
// eslint-disable-next-line @typescript-eslint/require-await -- an async source, as the reader gets from a stream
export async function* linesOf(lines: readonly (string | object)[]): AsyncGenerator<string> {
  for (const line of lines) yield typeof line === 'string' ? line : JSON.stringify(line);
}
