/** In-memory fakes of the ports cohort import uses besides the directory and membership: queue, rate limiter, set writer, import reports, partner-key log. */
import type { QueueSender } from '../../../functions/shared/enqueue';
import type { ImportReports, PartnerKeyLog, PartOutcome, RateLimiter, SetWriter } from '../../../functions/domain/ports';

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
