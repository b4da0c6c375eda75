/**
 * Every custom CloudWatch metric the hub emits: the one list that the emitters (handlers and the
 * HTTP and SQS worker frameworks, through Powertools Metrics) and the operations dashboard (lib/)
 * both use, so a chart can never name a metric nobody emits. Plain constants, no imports: CDK code
 * imports this file without loading any runtime dependency.
 */

/** CloudWatch namespace of every custom metric. */
export const METRIC_NAMESPACE = 'AudienceHub';

/** Powertools service name: also the `service` dimension Powertools adds to every metric. */
export const SERVICE_NAME = 'audience-hub';

export const METRICS = {
  /** Cohort worker: identifiers of a membership part that resolved to a profile. */
  cohortIdentifiersMatched: 'CohortIdentifiersMatched',
  /** Cohort worker: identifiers of a membership part that matched no profile. */
  cohortIdentifiersUnmatched: 'CohortIdentifiersUnmatched',
  /** Currents ingest: events queued. */
  currentsEventsQueued: 'CurrentsEventsQueued',
  /** Currents ingest: events that failed the envelope (sent to the rejects store). */
  currentsEventsRejected: 'CurrentsEventsRejected',
  /** Currents worker: events stored. */
  currentsEventsStored: 'CurrentsEventsStored',
  /** Currents worker: events skipped as already processed. */
  currentsDuplicates: 'CurrentsDuplicates',
  /** Currents worker: rejects stored. */
  currentsRejectsStored: 'CurrentsRejectsStored',
  /** AB Tasty worker: a push AB Tasty took. */
  abTastyDelivered: 'AbTastyDelivered',
  /** AB Tasty worker: a push AB Tasty refused (4xx, recorded with its answer; alarmed). */
  abTastyDeliveryFailed: 'AbTastyDeliveryFailed',
  /** AB Tasty worker: a push whose transient failures outlasted the retries (the queue retries it). */
  abTastyDeliveryExhausted: 'AbTastyDeliveryExhausted',
  /** Segment ingest: Engage audience membership changes queued. */
  segmentAudienceChangesQueued: 'SegmentAudienceChangesQueued',
  /** Segment ingest: events accepted and ignored (not audience membership, or no identifier). */
  segmentEventsIgnored: 'SegmentEventsIgnored',
  /** Braze export worker: users of an export file applied to the directory (created or changed). */
  directoryImportApplied: 'DirectoryImportApplied',
  /** Braze export worker: identifiers of an export file another user holds (not applied). */
  directoryImportConflicts: 'DirectoryImportConflicts',
  /** Membership history: applied flips recorded from the cohorts table stream. */
  membershipFlipsRecorded: 'MembershipFlipsRecorded',
  /** Change webhook worker: changes a receiver took (2xx). */
  webhookChangesDelivered: 'WebhookChangesDelivered',
  /** Change webhook worker: a POST the receiver refused with a non-retryable 4xx (alarmed; its messages are retried, then dead-lettered). */
  webhookPostRejected: 'WebhookPostRejected',
  /** Change webhook worker: a POST whose retryable failures outlasted the in-invocation tries (the queue retries it). */
  webhookPostExhausted: 'WebhookPostExhausted',
  /** Any worker: a record failed and will be redelivered. */
  recordFailed: 'RecordFailed',
  /** Any worker: a record failed on its last receive (it goes to the DLQ). */
  poisonMessage: 'PoisonMessage',
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];

/** What the HTTP wrapper counts per route: `<route>.Accepted`, `.Answered`, `.Refused<status>`, `.Error`. */
export type RouteOutcome = 'Accepted' | 'Answered' | 'Error' | `Refused${number}`;

/** The per-route metric name of the HTTP wrapper. */
export const routeMetric = (route: string, outcome: RouteOutcome): string => `${route}.${outcome}`;
