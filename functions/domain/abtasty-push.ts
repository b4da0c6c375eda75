/**
 * The AB Tasty delivery worker's logic (docs/abtasty-delivery.md, "Wiring"): one push request
 * becomes at most one push of the workspace's segments, never overlapping another push to the same
 * partner (a lease), skipped when a push that started after the change already settled (so the
 * many pages of one Heap run make one push), with its report stored; the daily sweep asks for a
 * refresh of every configured workspace, well inside AB Tasty's 30-day retention.
 */
import type { AbTastyPushMessage, AbTastySweepMessage } from '../schemas/abtasty-delivery';
import type { AbTastyDestinationRecord, WorkspaceRecord } from '../schemas/workspace';
import { allSegments, type SegmentReads } from './abtasty';
import { candidatesOf, deliver, membershipMemberSource, planDelivery, type DeliveryReport } from './abtasty-delivery';
import { abTastyClientSecret, pushDestination } from './abtasty-destination';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './abtasty-retry';
import type { AbTastyConnector, RetryTiming, DeliveryLeases, DeliveryReportStore, DeliveryRequests, DeliveryState, SecretBox, WorkspaceStore } from './ports';

export interface PushDeps extends RetryTiming {
  readonly workspaces: Pick<WorkspaceStore, 'get' | 'list'>;
  readonly secrets: SecretBox;
  readonly segments: SegmentReads;
  readonly leases: DeliveryLeases;
  readonly reports: Pick<DeliveryReportStore, 'put'>;
  readonly requests: DeliveryRequests;
  readonly connect: AbTastyConnector;
  /** A fresh random id (lease holder; suffix of the delivery id). */
  readonly newId: () => string;
  readonly policy?: RetryPolicy;
}

/** The time a push may take: how long its lease lives, and the latest moment a retry may start (epoch ms). */
export interface PushLimits {
  readonly leaseMs: number;
  readonly lastAttemptBy: number;
}

/**
 * A push covers a change when it started at least this long after it: room for clock skew between
 * functions and for the membership indexes (eventually consistent) to show the change.
 */
export const COVER_MARGIN_MS = 5_000;

/** A refresh is covered by any push that settled in the day before the sweep. */
export const REFRESH_WINDOW_MS = 24 * 3600 * 1000;

export type PushOutcome =
  /** No enabled AB Tasty destination: nothing to do. */
  | { readonly kind: 'no-destination' }
  /** Another push to the partner is running: the request was handed to it (recorded as pending). */
  | { readonly kind: 'busy' }
  /** A push that started after the change has already settled. */
  | { readonly kind: 'covered' }
  | { readonly kind: 'pushed'; readonly deliveryId: string; readonly report: DeliveryReport; readonly followUp: boolean };

export type DeliveryWorkOutcome = PushOutcome | { readonly kind: 'swept'; readonly requested: number };

export const isCovered = (settledFrom: number | undefined, changedAt: number): boolean => settledFrom !== undefined && settledFrom > changedAt + COVER_MARGIN_MS;

/** The lease and coverage key: one per workspace and AB Tasty partner (account and partner match UDC_PATH_PART: no `#`). */
export const leaseKey = (workspaceId: string, record: Pick<AbTastyDestinationRecord, 'account' | 'partner'>): string =>
  `${workspaceId}#${record.account}#${record.partner}`;

/** Sorts by start time (newest first is descending), unique per push. */
export const deliveryIdOf = (startedAtMs: number, id: string): string => `${new Date(startedAtMs).toISOString()}-${id.slice(0, 8)}`;

/** Plans from the segment list as it is now, decrypts the client secret, and runs the push. */
const pushOnce = async (deps: PushDeps, workspace: WorkspaceRecord, record: AbTastyDestinationRecord, lastAttemptBy: number): Promise<DeliveryReport> => {
  const plan = planDelivery(pushDestination(record), candidatesOf(await allSegments(deps.segments, workspace.workspaceId)));
  const clientSecret = await abTastyClientSecret(deps.secrets, workspace.workspaceId, record);
  const { tokens, sender } = deps.connect({ clientId: record.clientId, clientSecret });
  const members = membershipMemberSource(deps.segments, workspace.workspaceId);
  return deliver({ tokens, sender, members, clock: deps.clock, sleep: deps.sleep, random: deps.random }, plan, deps.policy ?? DEFAULT_RETRY_POLICY, lastAttemptBy);
};

interface HeldPush {
  readonly deliveryId: string;
  readonly report: DeliveryReport;
  /** The push's start, once it settled (anything but `exhausted`). */
  readonly settledFrom?: number;
  /** The coordination item after the release: requests recorded as pending meanwhile. */
  readonly left: DeliveryState;
}

/** Under the lease: push, store the report, and release (recording the push's start once it settled). */
const pushHoldingLease = async (deps: PushDeps, workspace: WorkspaceRecord, key: string, lease: { id: string; start: number }, limits: PushLimits): Promise<HeldPush> => {
  let pushed: { deliveryId: string; report: DeliveryReport };
  try {
    const report = await pushOnce(deps, workspace, workspace.abTasty as AbTastyDestinationRecord, limits.lastAttemptBy);
    pushed = { deliveryId: deliveryIdOf(lease.start, lease.id), report };
    await deps.reports.put(workspace.workspaceId, pushed);
  } catch (error) {
    // The push or its report failed: free the partner (the lease would otherwise outlive the retry) and fail.
    await deps.leases.release(key, { id: lease.id }).catch(() => undefined);
    throw error;
  }
  const settledFrom = pushed.report.outcome === 'exhausted' ? undefined : lease.start;
  const left = await deps.leases.release(key, { id: lease.id, ...(settledFrom === undefined ? {} : { settledFrom }) });
  return { ...pushed, ...(settledFrom === undefined ? {} : { settledFrom }), left };
};

/**
 * A push request: claims the partner's lease (or hands the request to the running push), skips
 * when a settled push already covers it, else pushes. Requests recorded as pending during the push
 * that it does not cover get one follow-up request, so none is lost (a request handed over may have
 * been the same message, redelivered while it ran). `exhausted` comes back as a report: the caller
 * lets the queue retry the message.
 */
export const pushRequested = async (deps: PushDeps, message: AbTastyPushMessage, limits: PushLimits): Promise<PushOutcome> => {
  const workspace = await deps.workspaces.get(message.workspaceId);
  const record = workspace?.abTasty;
  if (!workspace || !record?.enabled) return { kind: 'no-destination' };
  const key = leaseKey(workspace.workspaceId, record);
  const lease = { id: deps.newId(), start: deps.clock.now() };
  const claim = await deps.leases.claim(key, { id: lease.id, now: lease.start, until: lease.start + limits.leaseMs, requestedAt: message.requestedAt });
  if (claim.kind === 'busy') return { kind: 'busy' };
  if (isCovered(claim.state.settledFrom, Math.max(message.requestedAt, claim.state.pendingSince ?? 0))) {
    await deps.leases.release(key, { id: lease.id });
    return { kind: 'covered' };
  }
  const pushed = await pushHoldingLease(deps, workspace, key, lease, limits);
  const pending = pushed.left.pendingSince;
  const followUp = pending !== undefined && !isCovered(pushed.settledFrom, pending);
  if (followUp) {
    // After an exhausted push (AB Tasty failing) the follow-up waits like a coalesced request.
    const dedupeKey = `abtasty#${workspace.workspaceId}#follow-up#${pending}`;
    await deps.requests.request([{ workspaceId: workspace.workspaceId, requestedAt: pending, reason: 'follow-up', dedupeKey }], { coalesce: pushed.settledFrom === undefined });
  }
  return { kind: 'pushed', deliveryId: pushed.deliveryId, report: pushed.report, followUp };
};

/** The daily sweep: one refresh request per workspace with an enabled destination. */
export const requestRefreshes = async (deps: Pick<PushDeps, 'workspaces' | 'requests'>, sweep: AbTastySweepMessage): Promise<number> => {
  const requestedAt = Math.max(0, Date.parse(sweep.scheduledAt) - REFRESH_WINDOW_MS);
  const requests = (await deps.workspaces.list())
    .filter((workspace) => workspace.abTasty?.enabled === true)
    .map((workspace) => ({ workspaceId: workspace.workspaceId, requestedAt, reason: 'refresh' as const, dedupeKey: `abtasty#${workspace.workspaceId}#refresh#${sweep.scheduledAt}` }));
  if (requests.length > 0) await deps.requests.request(requests, { coalesce: false });
  return requests.length;
};

/** One abTastyDelivery message: a push request or the daily sweep. */
export const processDeliveryMessage = async (deps: PushDeps, message: AbTastyPushMessage | AbTastySweepMessage, limits: PushLimits): Promise<DeliveryWorkOutcome> =>
  message.type === 'sweep' ? { kind: 'swept', requested: await requestRefreshes(deps, message) } : pushRequested(deps, message, limits);
