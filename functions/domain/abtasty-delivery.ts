/**
 * AB Tasty delivery: which Heap segments go to a partner's Universal Data Connector, one push of
 * their full current membership (streamed, never a whole segment in memory), retried per
 * `abtasty-retry`, and the report of what happened. Pure: it reaches AB Tasty and the member store
 * only through the ports below. Contract and sources: docs/abtasty-delivery.md.
 */
import type { SegmentMeta, SegmentReads } from './abtasty';
import type { MemberSource, RetryTiming, TokenProvider, UdcSender } from './ports';

export type { MemberSource, TokenProvider, TokenResult, UdcSender, UdcUpload } from './ports';
import { DEFAULT_RETRY_POLICY, nextRetry, statusOf, verdictOf, type HttpOutcome, type RetryPolicy, type Verdict } from './abtasty-retry';
import { emptyCount, isUdcValue, udcSegmentToken, udcCsvChunks, UDC_CONTENT_TYPE, type BodyCount, type UdcRow } from './abtasty-udc-file';

/** A workspace's AB Tasty destination (the client credentials live with the token provider). */
export interface AbTastyDestination {
  /** AB Tasty's `account_identifier`. */
  readonly account: string;
  /** The `partner_name` AB Tasty provisions when it enables the UDC. */
  readonly partner: string;
  /** `all`: every non-empty Heap segment; or the listed Heap segment ids. */
  readonly segments: 'all' | readonly string[];
  /** The `value` column of every row (a valid UDC value), or none. */
  readonly value?: string;
}

/** Path segments of the UDC route: conservative, so they need no escaping in a URL. */
export const UDC_PATH_PART = /^[A-Za-z0-9_.-]{1,128}$/;

/** What is wrong with a destination, in words an admin can act on; empty when it is usable. */
export const destinationProblems = (destination: AbTastyDestination): string[] => [
  ...(UDC_PATH_PART.test(destination.account) ? [] : ['account must be 1-128 letters, digits, ".", "_" or "-"']),
  ...(UDC_PATH_PART.test(destination.partner) ? [] : ['partner must be 1-128 letters, digits, ".", "_" or "-"']),
  ...(destination.value === undefined || isUdcValue(destination.value) ? [] : ['value has characters AB Tasty refuses (normalise it first)']),
  ...(destination.segments === 'all' || destination.segments.length > 0 ? [] : ['segments: give at least one id, or "all"']),
];

/** A Heap segment as the plan sees it. */
export interface SegmentCandidate {
  readonly id: string;
  readonly name: string;
  readonly memberCount: number;
}

export const candidatesOf = (metas: readonly SegmentMeta[]): SegmentCandidate[] =>
  metas.map((meta) => ({ id: meta.setId, name: meta.name ?? meta.setId, memberCount: meta.memberCount }));

export interface PlannedSegment {
  readonly id: string;
  readonly name: string;
  readonly token: string;
}

export interface DeliveryPlan {
  readonly account: string;
  readonly partner: string;
  readonly value?: string;
  readonly segments: readonly PlannedSegment[];
  readonly skipped: readonly { readonly id: string; readonly reason: 'empty' | 'unknown' }[];
}

/**
 * Which segments one push carries: every non-empty segment (`all`), or the listed ones that exist
 * and have members. Each goes whole (its full current membership); the rest are listed as skipped.
 */
export const planDelivery = (destination: AbTastyDestination, candidates: readonly SegmentCandidate[]): DeliveryPlan => {
  const problems = destinationProblems(destination);
  if (problems.length > 0) throw new Error(`Invalid AB Tasty destination: ${problems.join('; ')}`);
  const byId = new Map(candidates.map((candidate) => [candidate.id, candidate]));
  const wanted = destination.segments === 'all' ? candidates.map((candidate) => candidate.id) : [...new Set(destination.segments)];
  const segments: PlannedSegment[] = [];
  const skipped: { id: string; reason: 'empty' | 'unknown' }[] = [];
  for (const id of [...wanted].sort()) {
    const candidate = byId.get(id);
    if (!candidate) skipped.push({ id, reason: 'unknown' });
    else if (candidate.memberCount <= 0) skipped.push({ id, reason: 'empty' });
    else segments.push({ id, name: candidate.name, token: udcSegmentToken(id) });
  }
  const base = { account: destination.account, partner: destination.partner, segments, skipped };
  return destination.value === undefined ? base : { ...base, value: destination.value };
};

export interface DeliveryPorts extends RetryTiming {
  readonly tokens: TokenProvider;
  readonly sender: UdcSender;
  readonly members: MemberSource;
}

/** A member source over the membership reads (sparse bySet index: current members only). */
export const membershipMemberSource = (reads: Pick<SegmentReads, 'listMembers'>, workspaceId: string, pageSize = 1000): MemberSource => ({
  async *pages(segmentId: string) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await reads.listMembers({ workspaceId, kind: 'segment', setId: segmentId }, pageSize, startKey);
      yield page.members.map((member) => member.memberId);
      startKey = page.nextKey;
    } while (startKey);
  },
});

/** The rows of one push: every member of every planned segment, read page by page. */
export async function* planRows(plan: DeliveryPlan, members: MemberSource): AsyncGenerator<UdcRow> {
  for (const segment of plan.segments) {
    for await (const page of members.pages(segment.id)) {
      for (const visitorId of page) yield plan.value === undefined ? { segment: segment.token, visitorId } : { segment: segment.token, visitorId, value: plan.value };
    }
  }
}

export interface DeliveryAttempt {
  readonly at: string;
  readonly step: 'token' | 'upload';
  /** AB Tasty's HTTP status; null for a timeout or no connection. */
  readonly status: number | null;
  readonly message: string;
  readonly verdict: Verdict;
}

/** delivered: AB Tasty took the file. failed: it refused it (4xx). exhausted: transient failures outlasted the retries. skipped: nothing to send. */
export type DeliveryOutcome = 'delivered' | 'failed' | 'exhausted' | 'skipped';

export interface DeliveryReport {
  readonly account: string;
  readonly partner: string;
  readonly segments: readonly PlannedSegment[];
  readonly skipped: DeliveryPlan['skipped'];
  /** Rows and bytes of the last upload attempt's body (the one AB Tasty answered last). */
  readonly rows: number;
  readonly bytes: number;
  readonly refusedRows: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly attempts: readonly DeliveryAttempt[];
  readonly outcome: DeliveryOutcome;
  /** The last answer: AB Tasty's HTTP status (null: timeout / unreachable / nothing sent) and message. */
  readonly status: number | null;
  readonly message: string;
}

/** AB Tasty's answers are kept up to this many characters in the report. */
export const MAX_MESSAGE_CHARS = 1000;

interface PushState {
  rejected?: string;
  refreshed: boolean;
  count: BodyCount;
}

/** One try: a token (cached, or refreshed after a 401), then the streamed upload. */
const attemptOnce = async (ports: DeliveryPorts, plan: DeliveryPlan, state: PushState): Promise<{ step: 'token' | 'upload'; outcome: HttpOutcome }> => {
  const granted = state.rejected === undefined ? await ports.tokens.token() : await ports.tokens.refresh(state.rejected);
  if (granted.kind === 'failed') return { step: 'token', outcome: granted.outcome };
  state.rejected = undefined;
  const count = emptyCount();
  state.count = count;
  const body = udcCsvChunks(planRows(plan, ports.members), count);
  const outcome = await ports.sender.send({ account: plan.account, partner: plan.partner, token: granted.token, contentType: UDC_CONTENT_TYPE, body });
  if (verdictOf(outcome) === 'refresh-token') state.rejected = granted.token;
  return { step: 'upload', outcome };
};

/** A 401 is refreshed once per delivery; a 401 to the grant itself, or a second one, is a refusal. */
const verdictFor = (step: 'token' | 'upload', outcome: HttpOutcome, state: PushState): Verdict => {
  const verdict = verdictOf(outcome);
  if (verdict !== 'refresh-token') return verdict;
  return step === 'upload' && !state.refreshed ? 'refresh-token' : 'fail';
};

/**
 * Pushes the plan: attempts until AB Tasty takes the file, refuses it, or the retry policy ends
 * it; every answer is recorded. A retry re-reads the members (a stream cannot be replayed), so
 * each attempt carries the membership current at that moment. `lastAttemptBy` (epoch ms): no retry
 * starts later than this (the worker's time limit, less one attempt's budget); it ends `exhausted`.
 */
export const deliver = async (ports: DeliveryPorts, plan: DeliveryPlan, policy: RetryPolicy = DEFAULT_RETRY_POLICY, lastAttemptBy = Infinity): Promise<DeliveryReport> => {
  const iso = () => new Date(ports.clock.now()).toISOString();
  const startedAt = iso();
  const attempts: DeliveryAttempt[] = [];
  const state: PushState = { refreshed: false, count: emptyCount() };
  const report = (outcome: DeliveryOutcome, last?: HttpOutcome): DeliveryReport => ({
    account: plan.account, partner: plan.partner, segments: plan.segments, skipped: plan.skipped,
    rows: state.count.rows, bytes: state.count.bytes, refusedRows: state.count.refused,
    startedAt, finishedAt: iso(), attempts, outcome,
    status: last ? statusOf(last) : null, message: last ? last.message.slice(0, MAX_MESSAGE_CHARS) : 'nothing to send: no non-empty segment selected',
  });
  if (plan.segments.length === 0) return report('skipped');
  for (let tries = 1; ; ) {
    const { step, outcome } = await attemptOnce(ports, plan, state);
    const verdict = verdictFor(step, outcome, state);
    attempts.push({ at: iso(), step, status: statusOf(outcome), message: outcome.message.slice(0, MAX_MESSAGE_CHARS), verdict });
    if (verdict === 'success') return report('delivered', outcome);
    if (verdict === 'fail') return report('failed', outcome);
    if (verdict === 'refresh-token') {
      state.refreshed = true;
      continue;
    }
    const next = nextRetry(outcome, tries, policy, ports.clock.now(), ports.random);
    if (!next.retry || ports.clock.now() + next.delayMs > lastAttemptBy) return report('exhausted', outcome);
    tries += 1;
    await ports.sleep(next.delayMs);
  }
};
