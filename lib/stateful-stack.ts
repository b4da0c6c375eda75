/**
 * Stateful resources: DynamoDB tables and SQS queues (from the shared definitions), the KMS key
 * that encrypts webhook secrets, the analyst export bucket, the Currents archive bucket and the change events bus. Kept apart from the service stack
 * so redeploying code never risks data.
 */
import { Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AttributeType, Billing, StreamViewType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Key } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import { DLQ_RETENTION_SECONDS, isFifoQueue, QUEUES, physicalDlqName, physicalQueueName, visibilityTimeoutSeconds, type QueueKey } from '../functions/shared/definitions/queues';
import { ANALYST_EXPORT_TABLES, TABLES, physicalTableName, type TableDefinition, type TableKey } from '../functions/shared/definitions/tables';
import { accessLogBucket } from './constructs/access-log-bucket';
import { eventArchiveBucket } from './constructs/event-archive';
import type { StageConfig } from './stage-config';
import { BrazeImport } from './constructs/braze-import';

export interface HubQueues {
  readonly queue: Queue;
  readonly dlq: Queue;
}

export interface StatefulStackProps extends StackProps {
  readonly config: StageConfig;
}

export class StatefulStack extends Stack {
  readonly tables: Record<TableKey, TableV2>;
  readonly queues: Record<QueueKey, HubQueues>;
  readonly secretsKey: Key;
  readonly exportBucket: Bucket;
  /** The Braze import bucket, its notification to the brazeExport queue, and Braze's access (docs/braze-export.md). */
  readonly brazeImport: BrazeImport;
  /** The Currents archive: every event as gzip JSON lines under `currents/dt=/type=/` (docs/currents.md "Full history"). */
  readonly eventArchive: Bucket;
  /** The change events bus: `audience.membership.changed` per applied flip, for customers' own rules and targets (docs/events.md). */
  readonly changeEvents: EventBus;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.tables = this.createTables(config, removalPolicy);
    this.queues = this.createQueues(config, removalPolicy);
    this.secretsKey = new Key(this, 'SecretsKey', {
      description: 'Encrypts workspace webhook secrets (Heap) stored in the workspaces table',
      enableKeyRotation: true,
      removalPolicy,
    });
    this.exportBucket = this.createExportBucket(config, removalPolicy);
    this.scheduleExports(config);
    this.eventArchive = eventArchiveBucket(this, config, removalPolicy);
    this.brazeImport = new BrazeImport(this, 'BrazeImport', { config, queue: this.queues.brazeExport.queue, removalPolicy });
    // Stateful: customers attach their own rules to it, which a replaced bus would lose.
    this.changeEvents = new EventBus(this, 'ChangeEvents', { eventBusName: `${config.prefix}-changes` });
  }

  /** One on-demand table per shared table definition: PITR, encryption, TTL and GSIs as defined. */
  private createTables(config: StageConfig, removalPolicy: RemovalPolicy): Record<TableKey, TableV2> {
    const tables = {} as Record<TableKey, TableV2>;
    for (const key of Object.keys(TABLES) as TableKey[]) {
      const definition: TableDefinition = TABLES[key];
      tables[key] = new TableV2(this, `${key}Table`, {
        tableName: physicalTableName(config.prefix, key),
        partitionKey: { name: definition.partitionKey, type: AttributeType.STRING },
        ...(definition.sortKey ? { sortKey: { name: definition.sortKey, type: AttributeType.STRING } } : {}),
        billing: Billing.onDemand(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: config.retainData,
        removalPolicy,
        encryption: TableEncryptionV2.awsManagedKey(),
        ...(definition.ttlAttribute ? { timeToLiveAttribute: definition.ttlAttribute } : {}),
        ...(definition.stream ? { dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES } : {}),
        globalSecondaryIndexes: definition.gsis.map((gsi) => ({
          indexName: gsi.indexName,
          partitionKey: { name: gsi.partitionKey, type: AttributeType.STRING },
          sortKey: { name: gsi.sortKey, type: AttributeType.STRING },
        })),
      });
    }
    return tables;
  }

  /** One work queue per shared queue definition, each with its DLQ (after `maxReceiveCount` receives). */
  private createQueues(config: StageConfig, removalPolicy: RemovalPolicy): Record<QueueKey, HubQueues> {
    const queues = {} as Record<QueueKey, HubQueues>;
    for (const key of Object.keys(QUEUES) as QueueKey[]) {
      const definition = QUEUES[key];
      // A FIFO queue's DLQ must be FIFO too; deduplication ids are set by the sender (no content-based deduplication).
      const fifo = isFifoQueue(key) ? { fifo: true } : {};
      const dlq = new Queue(this, `${key}Dlq`, {
        ...fifo,
        queueName: physicalDlqName(config.prefix, key),
        retentionPeriod: Duration.seconds(DLQ_RETENTION_SECONDS),
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        removalPolicy,
      });
      Validations.of(dlq).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This queue is itself a dead-letter queue.' });
      const queue = new Queue(this, `${key}Queue`, {
        ...fifo,
        queueName: physicalQueueName(config.prefix, key),
        visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds(definition)),
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        deadLetterQueue: { queue: dlq, maxReceiveCount: definition.maxReceiveCount },
        removalPolicy,
      });
      queues[key] = { queue, dlq };
    }
    return queues;
  }

  /** The analyst export bucket (private, SSL only, expiring), with its access-log bucket. */
  private createExportBucket(config: StageConfig, removalPolicy: RemovalPolicy): Bucket {
    const accessLogs = accessLogBucket(this, 'ExportAccessLogs', removalPolicy, 'export bucket');
    return new Bucket(this, 'ExportBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'exports/',
      lifecycleRules: [{ expiration: config.exportRetention, abortIncompleteMultipartUploadAfter: Duration.days(7) }],
      removalPolicy,
    });
  }

  /** A daily (by default) ExportTableToPointInTime per analyst table (never workspaces) into the export bucket, via EventBridge Scheduler. */
  private scheduleExports(config: StageConfig) {
    const role = new Role(this, 'ExportSchedulerRole', { assumedBy: new ServicePrincipal('scheduler.amazonaws.com') });
    for (const key of ANALYST_EXPORT_TABLES) {
      const table = this.tables[key];
      role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['dynamodb:ExportTableToPointInTime'], resources: [table.tableArn] }));
      new CfnSchedule(this, `${key}ExportSchedule`, {
        name: `${config.prefix}-export-${key}`,
        description: `Exports the ${key} table to S3 for analysts`,
        scheduleExpression: config.exportSchedule,
        flexibleTimeWindow: { mode: 'FLEXIBLE', maximumWindowInMinutes: 60 },
        target: {
          // Universal target: Scheduler calls the DynamoDB API directly, no Lambda in between.
          arn: 'arn:aws:scheduler:::aws-sdk:dynamodb:exportTableToPointInTime',
          roleArn: role.roleArn,
          input: this.toJsonString({
            TableArn: table.tableArn,
            S3Bucket: this.exportBucket.bucketName,
            S3Prefix: `exports/${key}`,
            ExportFormat: 'DYNAMODB_JSON',
            S3SseAlgorithm: 'AES256',
          }),
          retryPolicy: { maximumRetryAttempts: 3 },
        },
      });
    }
    // The export writes its objects with the caller's (the scheduler role's) permissions.
    role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:PutObjectAcl'],
        resources: [this.exportBucket.arnForObjects('exports/*')],
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::<ExportBucket4E99310E.Arn>/exports/*]',
      reason: 'An export writes many objects whose names DynamoDB chooses, all under the exports/ prefix of the export bucket.',
    });
  }
}
