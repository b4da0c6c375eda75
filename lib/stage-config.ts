/**
 * Typed per-stage configuration of the CDK app. dev is disposable; prod retains data and protects
 * tables from deletion. Values can be overridden with CDK context (`-c alarmTopicArn=...`).
 */
import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { FunctionKey } from '../functions/shared/definitions/functions';

export type StageName = 'dev' | 'prod';

/** Traffic classes of the WAF flood guard (lib/constructs/flood-guard.ts; numbers and reasons in docs/operations.md). */
export type TrafficClass = 'cohortImport' | 'currents' | 'heapWebhook' | 'segment' | 'readApis' | 'other';

export interface FloodGuardConfig {
  /** WAF's evaluation window; also the `Retry-After` of a refusal (the window in which the count falls). */
  readonly windowSeconds: 60 | 120 | 300 | 600;
  /** Requests one source IP may send to a class's routes per window. */
  readonly perIp: Readonly<Record<TrafficClass, number>>;
  /** Requests one source IP may send to the whole API per window (caps one address across classes). */
  readonly perIpAll: number;
}

export interface StageConfig {
  readonly stage: StageName;
  /** Physical name prefix of tables and queues: `hub-<stage>`. */
  readonly prefix: string;
  /** prod: RemovalPolicy.RETAIN and deletion protection on every table, bucket and key. */
  readonly retainData: boolean;
  readonly logRetention: RetentionDays;
  /** API Gateway stage throttling (steady requests/s and burst). */
  readonly apiThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  /** WAF rate-based rules on the API stage, answering 429 + Retry-After. */
  readonly floodGuard: FloodGuardConfig;
  /**
   * Reserved concurrency per function (opt-in; default none). Reserving guarantees the ingest
   * functions capacity when workers scale, but a new account's concurrency quota can be 10 and
   * Lambda keeps 10 unreserved: any reservation then makes `cdk deploy` fail. Raise the quota first.
   */
  readonly reservedConcurrency?: Partial<Record<FunctionKey, number>>;
  /** Existing SNS topic for alarms; when absent the stack creates one (and subscribes `alarmEmail`). */
  readonly alarmTopicArn?: string;
  readonly alarmEmail?: string;
  /** EventBridge Scheduler expression for the analyst exports. */
  readonly exportSchedule: string;
  /** EventBridge Scheduler expression of the AB Tasty refresh sweep (well inside AB Tasty's 30-day retention). */
  readonly abTastyRefreshSchedule: string;
  readonly exportRetention: Duration;
  /** Days Currents events and rejects stay in DynamoDB for the read API (TTL): the hot window (`-c eventHotDays=`). */
  readonly eventHotDays: number;
  /**
   * When archived Currents events expire: absent = never (the archive is the promised full history).
   * Set it only to a retention you promise your analysts (`-c eventArchiveDays=`).
   */
  readonly eventArchiveExpiration?: Duration;
  /** Braze's documented limit for cohort imports, per workspace. */
  readonly cohortRequestsPerHour: number;
  readonly heapTimestampToleranceSeconds: number;
  readonly heapFutureToleranceSeconds: number;
  readonly lambdaMemoryMb: number;
  /** Braze export (docs/braze-export.md): how often the requester checks for due exports (EventBridge Scheduler). */
  readonly brazeExportCheckSchedule: string;
  /** Import bucket objects are deleted this long after being applied (tag `hub-import=applied`)… */
  readonly brazeImportRetention: Duration;
  /** …and any object (unapplied, or another Braze export) after this long. */
  readonly brazeImportMaxAge: Duration;
  /** Segment ids whose `segment-export/<id>/` prefix notifies the worker (`-c brazeExportSegments=a,b`); none: all of `segment-export/`. */
  readonly brazeExportSegments?: readonly string[];
  /** Braze's AWS account id and external id (Braze → Technology Partners → Amazon S3, "AWS Role ARN"): the stack then creates the role Braze assumes. */
  readonly brazeAwsAccountId?: string;
  readonly brazeExternalId?: string;
}

export const STAGES: Record<StageName, StageConfig> = {
  dev: {
    stage: 'dev',
    prefix: 'hub-dev',
    retainData: false,
    logRetention: RetentionDays.ONE_WEEK,
    apiThrottle: { rateLimit: 100, burstLimit: 200 },
    floodGuard: {
      windowSeconds: 300,
      perIp: { cohortImport: 25_000, currents: 15_000, heapWebhook: 15_000, segment: 15_000, readApis: 15_000, other: 1_500 },
      perIpAll: 30_000,
    },
    exportSchedule: 'rate(1 day)',
    abTastyRefreshSchedule: 'rate(1 day)',
    exportRetention: Duration.days(30),
    eventHotDays: 30,
    cohortRequestsPerHour: 250_000,
    heapTimestampToleranceSeconds: 300,
    heapFutureToleranceSeconds: 60,
    lambdaMemoryMb: 512,
    brazeExportCheckSchedule: 'rate(1 hour)',
    brazeImportRetention: Duration.days(3),
    brazeImportMaxAge: Duration.days(30),
  },
  prod: {
    stage: 'prod',
    prefix: 'hub-prod',
    retainData: true,
    logRetention: RetentionDays.THREE_MONTHS,
    apiThrottle: { rateLimit: 1000, burstLimit: 2000 },
    // Per source IP per 5 minutes; reasons in docs/operations.md.
    floodGuard: {
      windowSeconds: 300,
      perIp: { cohortImport: 60_000, currents: 60_000, heapWebhook: 30_000, segment: 60_000, readApis: 60_000, other: 3_000 },
      perIpAll: 100_000,
    },
    // reservedConcurrency (opt-in), e.g. { cohortIngest: 50, currentsIngest: 50, heapWebhook: 20, segmentIngest: 20 },
    // once the account's Lambda concurrency quota is well above 10.
    exportSchedule: 'cron(0 3 * * ? *)',
    abTastyRefreshSchedule: 'cron(0 4 * * ? *)',
    exportRetention: Duration.days(400),
    eventHotDays: 30,
    cohortRequestsPerHour: 250_000,
    heapTimestampToleranceSeconds: 300,
    heapFutureToleranceSeconds: 60,
    lambdaMemoryMb: 1024,
    brazeExportCheckSchedule: 'rate(1 hour)',
    brazeImportRetention: Duration.days(7),
    brazeImportMaxAge: Duration.days(30),
  },
};

/** Stage config with CDK context overrides applied. */
export const stageConfig = (stage: StageName, context: (key: string) => unknown): StageConfig => {
  const base = STAGES[stage];
  const alarmTopicArn = context('alarmTopicArn');
  const alarmEmail = context('alarmEmail');
  const text = (key: string) => {
    const value = context(key);
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const days = (key: string) => {
    const value = Number(text(key));
    return Number.isInteger(value) && value > 0 ? value : undefined;
  };
  const hotDays = days('eventHotDays');
  const archiveDays = days('eventArchiveDays');
  const segments = text('brazeExportSegments')?.split(',').map((segment) => segment.trim()).filter(Boolean);
  return {
    ...base,
    ...(typeof alarmTopicArn === 'string' ? { alarmTopicArn } : {}),
    ...(typeof alarmEmail === 'string' ? { alarmEmail } : {}),
    ...(segments?.length ? { brazeExportSegments: segments } : {}),
    ...(hotDays ? { eventHotDays: hotDays } : {}),
    ...(archiveDays ? { eventArchiveExpiration: Duration.days(archiveDays) } : {}),
    ...(text('brazeAwsAccountId') ? { brazeAwsAccountId: text('brazeAwsAccountId') } : {}),
    ...(text('brazeExternalId') ? { brazeExternalId: text('brazeExternalId') } : {}),
  };
};
