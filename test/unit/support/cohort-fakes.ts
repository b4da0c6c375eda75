/** In-memory fakes of the ports used by cohort import, ingest and reads. */
import { hashSecret } from '../../../functions/shared/crypto';
import { ownValue } from '../../../functions/shared/own';
import type { QueueSender } from '../../../functions/shared/enqueue';
import type { WorkspaceStore } from '../../../functions/domain/ports';
import type { RateLimiter } from '../../../functions/domain/rate-limit';
import {
  decide,
  tally,
  type ApplyResult,
  type MemberState,
  type MembershipStore,
  type SetRef,
} from '../../../functions/domain/membership';
import type { ClaimResolver, ImportReports, PartOutcome, PartnerKeyLog, ProfileReader, SetWriter } from '../../../functions/domain/cohort-matching';
import type { Claim, Profile } from '../../../functions/schemas/directory';
import type { WorkspaceRecord } from '../../../functions/schemas/workspace';

export const DATA_IMPORT_KEY = 'hub_dik_test-data-import-key';
export const PARTNER_KEY = 'braze-issued-partner-key';

export const workspaceRecord = (overrides: Partial<WorkspaceRecord> = {}): WorkspaceRecord => ({
  workspaceId: 'ws1',
  name: 'acme',
  partnerName: 'segment',
  createdAt: '2026-01-01T00:00:00.000Z',
  credentialHashes: {
    dataImportKey: hashSecret(DATA_IMPORT_KEY),
    apiKey: hashSecret('hub_api_test'),
    partnerApiKey: hashSecret('hub_pk_test'),
    currentsToken: hashSecret('hub_cur_test'),
    abTastyToken: hashSecret('hub_abt_test'),
  },
  heapWebhookSecretCiphertext: 'x',
  partnerKeyPolicy: 'any',
  partnerKeyHashes: {},
  heapIdTokensSeen: [],
  ...overrides,
});

export const fakeWorkspaceStore = (record: WorkspaceRecord) => {
  const pins: string[] = [];
  const store: WorkspaceStore & { pins: string[] } = {
    pins,
    create: () => Promise.resolve(true),
    get: () => Promise.resolve(record),
    getByName: () => Promise.resolve(record),
    findByCredentialHash: (kind, hash) => Promise.resolve(record.credentialHashes[kind] === hash ? structuredClone(record) : undefined),
    list: () => Promise.resolve([record]),
    replaceCredentialHash: () => Promise.resolve(),
    update: () => Promise.resolve(),
    pinPartnerKey: (_ws, partner, hash) => {
      pins.push(partner);
      // Like DynamoDB + the SDK's map conversion: own keys only, and `__proto__` never reads back.
      if (!Object.hasOwn(record.partnerKeyHashes, partner)) record.partnerKeyHashes[partner] = hash;
      return Promise.resolve(ownValue(record.partnerKeyHashes, partner));
    },
    recordHeapIdToken: () => Promise.resolve(),
  };
  return store;
};

export const fakeSender = (failing = false) => {
  const sent: string[] = [];
  const sender: QueueSender & { sent: string[] } = {
    sent,
    sendBatch: (_url, bodies) => {
      if (failing) return Promise.reject(new Error('SQS down'));
      sent.push(...bodies);
      return Promise.resolve({ failed: [] });
    },
  };
  return sender;
};

export const fakeLimiter = (limit = 1000): RateLimiter & { hits: number } => {
  const limiter = {
    hits: 0,
    hit(_ws: string, nowMs: number) {
      limiter.hits += 1;
      const resetAt = Math.floor(nowMs / 1000 / 3600) * 3600 + 3600;
      return Promise.resolve({ allowed: limiter.hits <= limit, limit, remaining: Math.max(0, limit - limiter.hits), resetAt });
    },
  };
  return limiter;
};

/** Membership engine in memory, deciding and counting exactly like the DynamoDB store (domain `decide` and `tally`). */
export const fakeMembership = () => {
  const members = new Map<string, MemberState>();
  const key = (set: SetRef, memberId: string) => `${set.workspaceId}|${set.kind}|${set.setId}|${memberId}`;
  const store: MembershipStore & { members: Map<string, MemberState>; currentMembers(set: SetRef): string[] } = {
    members,
    apply(set, _kind, changes, version) {
      const result: ApplyResult = { added: 0, removed: 0, unchanged: 0, stale: 0 };
      for (const change of changes) {
        const current = members.get(key(set, change.memberId));
        const status = tally(result, decide(current, change.op, version), current);
        if (status !== undefined) members.set(key(set, change.memberId), { status, version });
      }
      return Promise.resolve(result);
    },
    currentMembers(set) {
      const prefix = key(set, '');
      return [...members]
        .filter(([k, state]) => k.startsWith(prefix) && state.status === 'member')
        .map(([k]) => k.slice(prefix.length))
        .sort();
    },
  };
  return store;
};

export const fakeDirectory = () => {
  const claims = new Map<string, Claim>();
  const profiles = new Map<string, Profile>();
  const calls = { resolveClaims: 0, getProfiles: 0 };
  const directory = {
    claims,
    profiles,
    calls,
    addProfile(brazeId: string, fields: Partial<Profile> = {}) {
      profiles.set(brazeId, { workspaceId: 'ws1', brazeId, aliases: {}, deviceIds: [], createdAt: 'x', updatedAt: 'x', identityVersion: 0, ...fields });
    },
    addClaim(key: string, profileId: string, ownerIdentified = false) {
      claims.set(key, { workspaceId: 'ws1', key, profileId, ownerIdentified, claimedAt: 'x' });
    },
    resolver: {
      resolveClaims(_ws: string, keys: readonly string[]) {
        calls.resolveClaims += 1;
        return Promise.resolve(new Map([...new Set(keys)].flatMap((k) => (claims.has(k) ? [[k, claims.get(k)!] as const] : []))));
      },
    } satisfies ClaimResolver,
    reader: {
      getProfiles(_ws: string, ids: readonly string[]) {
        calls.getProfiles += 1;
        return Promise.resolve(new Map(ids.flatMap((id) => (profiles.has(id) ? [[id, profiles.get(id)!] as const] : []))));
      },
    } satisfies ProfileReader,
  };
  return directory;
};

export const fakeSets = () => {
  const sets = new Map<string, { name?: string; nameVersion?: string; createdAt: string; extra?: Record<string, unknown> }>();
  const writer: SetWriter & { sets: typeof sets } = {
    sets,
    upsertSet(set, fields) {
      const existing = sets.get(set.setId);
      const name = fields.name === undefined ? existing?.name : fields.keepName ? (existing?.name ?? fields.name) : fields.name;
      sets.set(set.setId, { ...existing, name, createdAt: existing?.createdAt ?? fields.createdAt, extra: fields.extra });
      return Promise.resolve();
    },
    renameSet(set, name, version) {
      const existing = sets.get(set.setId);
      if (!existing || (existing.nameVersion !== undefined && existing.nameVersion >= version)) return Promise.resolve(false);
      sets.set(set.setId, { ...existing, name, nameVersion: version });
      return Promise.resolve(true);
    },
  };
  return writer;
};

export const fakeReports = () => {
  const parts = new Map<string, PartOutcome[]>();
  const reports: ImportReports & { parts: typeof parts; failed: string[] } = {
    parts,
    failed: [],
    recordPart(key, outcome) {
      const list = parts.get(key.importId) ?? [];
      if (list.some((part) => part.part === outcome.part)) return Promise.resolve(false);
      parts.set(key.importId, [...list, outcome]);
      return Promise.resolve(true);
    },
    markFailed(key) {
      reports.failed.push(key.importId);
      return Promise.resolve();
    },
  };
  return reports;
};

export const fakePartnerKeys = (): PartnerKeyLog & { seen: string[] } => {
  const seen: string[] = [];
  return {
    seen,
    record: (_ws, partner, fingerprint) => {
      seen.push(`${partner}:${fingerprint}`);
      return Promise.resolve();
    },
  };
};
