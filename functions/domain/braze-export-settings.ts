/**
 * A workspace's scheduled Braze export (`workspace set --braze-rest-url … --braze-api-key …
 * --braze-export-segment … [--braze-export-every 24h]`): the whole change is checked before
 * anything is written; the REST API key is encrypted (an outbound secret: it authenticates nothing
 * here); the registry entry lets the requester and the import worker find the workspace.
 */
import type { BrazeExportSettings, WorkspaceRecord } from '../schemas/workspace';
import type { BrazeExportRegistry, SecretBox, WorkspaceStore } from './ports';

export const DEFAULT_EXPORT_EVERY_MS = 24 * 3_600_000;
/** The schedule that checks for due exports runs hourly: a shorter period could not be kept. */
export const MIN_EXPORT_EVERY_MS = 3_600_000;

/** Encryption context of the key: bound to its workspace and purpose, so it cannot be replayed elsewhere. */
export const brazeKeyContext = (workspaceId: string): Record<string, string> => ({ workspaceId, purpose: 'brazeApiKey' });

export interface BrazeExportUpdate {
  readonly restUrl?: string;
  readonly apiKey?: string;
  readonly segmentId?: string;
  readonly every?: string;
  readonly enabled?: boolean;
}

/** `90m`, `24h`, `7d` → ms; undefined when unreadable. */
export const parseEvery = (text: string): number | undefined => {
  const match = /^(\d{1,5})\s*(m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
};

/** An https Braze endpoint (plain http only on this machine, for a local fake), without a trailing slash. */
export const normaliseRestUrl = (text: string): string | undefined => {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return undefined;
  if (url.search || url.hash || url.username || url.password) return undefined;
  return url.toString().replace(/\/+$/, '');
};

/** Every problem of an update against the current settings (empty when it can be written). */
export const brazeExportProblems = (current: BrazeExportSettings | undefined, update: BrazeExportUpdate): string[] => {
  const problems: string[] = [];
  if (update.restUrl !== undefined && !normaliseRestUrl(update.restUrl)) problems.push('--braze-rest-url must be an https URL (http only for 127.0.0.1 or localhost), without query');
  if (update.apiKey !== undefined && update.apiKey.trim().length < 8) problems.push('--braze-api-key looks too short');
  if (update.segmentId !== undefined && !/^[A-Za-z0-9_.-]{1,128}$/.test(update.segmentId)) problems.push('--braze-export-segment must be a Braze segment identifier ([A-Za-z0-9_.-], up to 128)');
  if (update.every !== undefined) {
    const every = parseEvery(update.every);
    if (every === undefined || every < MIN_EXPORT_EVERY_MS) problems.push('--braze-export-every takes a period of at least 1h, such as 6h, 24h or 7d');
  }
  if (!current) {
    for (const [field, flag] of [['restUrl', '--braze-rest-url'], ['apiKey', '--braze-api-key'], ['segmentId', '--braze-export-segment']] as const) {
      if (update[field] === undefined) problems.push(`${flag} is required to set up the Braze export`);
    }
  }
  return problems;
};

export interface BrazeExportAdminDeps {
  readonly store: Pick<WorkspaceStore, 'update'>;
  readonly secrets: SecretBox;
  readonly registry: Pick<BrazeExportRegistry, 'put'>;
}

/** Applies an update whole, or returns its problems with nothing written. */
export const configureBrazeExport = async (
  deps: BrazeExportAdminDeps,
  workspace: WorkspaceRecord,
  update: BrazeExportUpdate,
): Promise<{ ok: true; settings: BrazeExportSettings } | { ok: false; problems: string[] }> => {
  const current = workspace.brazeExport;
  const problems = brazeExportProblems(current, update);
  if (problems.length > 0) return { ok: false, problems };
  const apiKeyCiphertext = update.apiKey !== undefined ? await deps.secrets.encrypt(update.apiKey.trim(), brazeKeyContext(workspace.workspaceId)) : (current?.apiKeyCiphertext ?? '');
  const settings: BrazeExportSettings = {
    restUrl: update.restUrl !== undefined ? (normaliseRestUrl(update.restUrl) ?? '') : (current?.restUrl ?? ''),
    apiKeyCiphertext,
    segmentId: update.segmentId ?? current?.segmentId ?? '',
    everyMs: update.every !== undefined ? (parseEvery(update.every) ?? DEFAULT_EXPORT_EVERY_MS) : (current?.everyMs ?? DEFAULT_EXPORT_EVERY_MS),
    enabled: update.enabled ?? current?.enabled ?? true,
  };
  await deps.store.update(workspace.workspaceId, { brazeExport: settings });
  await deps.registry.put({ workspaceId: workspace.workspaceId, segmentId: settings.segmentId, everyMs: settings.everyMs });
  return { ok: true, settings };
};

/** The settings without the secret, for `workspace list`/`show`. */
export const describeBrazeExport = (settings: BrazeExportSettings) => ({
  restUrl: settings.restUrl,
  segmentId: settings.segmentId,
  every: `${Math.round(settings.everyMs / 3_600_000)}h`,
  enabled: settings.enabled,
  apiKey: 'set (encrypted)',
});
