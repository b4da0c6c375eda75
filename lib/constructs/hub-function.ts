/**
 * One Lambda function of the hub, built from its shared definition: esbuild bundle (CommonJS, minified,
 * source maps, AWS SDK external), nodejs24.x on ARM64, an explicit log group with retention, the
 * Powertools environment, and least-privilege grants for exactly the tables and queues it lists.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import type { Access, FunctionDefinition, FunctionKey, ScopedWrite } from '../../functions/shared/definitions/functions';
import { isFifoQueue, QUEUES, type QueueKey } from '../../functions/shared/definitions/queues';
import { TABLES, type TableKey } from '../../functions/shared/definitions/tables';
import { METRIC_NAMESPACE, SERVICE_NAME } from '../../functions/shared/metric-names';
import { archiveBucketName, archiveNagArn, archiveObjectsArn } from './event-archive';
import type { HubQueues } from '../stateful-stack';
import type { StageConfig } from '../stage-config';

export interface HubFunctionProps {
  readonly key: FunctionKey;
  readonly definition: FunctionDefinition;
  readonly config: StageConfig;
  readonly tables: Record<TableKey, ITableV2>;
  readonly queues: Record<QueueKey, HubQueues>;
  readonly secretsKey: IKey;
  /** The change events bus, for functions that publish change events. */
  readonly changeEvents?: IEventBus;
  readonly environment?: Record<string, string>;
}

const root = join(__dirname, '..', '..');

/** DynamoDB data-plane actions a reading function needs (Query also covers the GSIs). */
export const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable'] as const;
/** Added for writing functions; TransactWriteItems is authorised per item by these same actions. */
export const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'] as const;

/** The environment every function gets: Powertools settings and the stage's tunables (tables and queues are added per grant). */
const baseEnvironment = (config: StageConfig, extra: Record<string, string> = {}): Record<string, string> => ({
  NODE_OPTIONS: '--enable-source-maps',
  POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
  POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
  POWERTOOLS_LOG_LEVEL: 'INFO',
  EVENT_HOT_DAYS: String(config.eventHotDays),
  HEAP_TIMESTAMP_TOLERANCE_SECONDS: String(config.heapTimestampToleranceSeconds),
  HEAP_FUTURE_TOLERANCE_SECONDS: String(config.heapFutureToleranceSeconds),
  COHORT_IMPORT_RATE_LIMIT: String(config.cohortRequestsPerHour),
  COHORT_IMPORT_RATE_WINDOW_SECONDS: '3600',
  ...extra,
});

/** The console function's bundle gets the built console (`console/` next to `index.js`, where adapters/console-assets.ts reads it). */
const consoleAssetHooks = {
  beforeBundling: (): string[] => [],
  beforeInstall: (): string[] => [],
  afterBundling: (inputDir: string, outputDir: string): string[] => [`cd "${inputDir}" && node_modules/.bin/tsx scripts/console/build.ts "${outputDir}/console"`],
};

export class HubFunction extends Construct {
  readonly fn: NodejsFunction;
  /** Where a stream consumer's batches go once their retries are spent (alarmed by Operations). */
  readonly streamFailures?: Queue;

  constructor(scope: Construct, id: string, props: HubFunctionProps) {
    super(scope, id);
    this.fn = this.bundledFunction(props);
    this.grantTables(props);
    this.grantQueues(props);
    if (props.definition.decryptsSecrets?.length) this.grantDecrypt(props.secretsKey, props.definition.decryptsSecrets);
    if (props.definition.consumes) this.consume(props, props.definition.consumes);
    if (props.definition.streamsFrom) this.streamFailures = this.consumeStream(props, props.definition.streamsFrom);
    if (props.definition.publishesChangeEvents) this.publishTo(props.changeEvents);
    if (props.definition.archivesEvents) this.archiveTo(props.config);
  }

  /** `s3:PutObject` under `currents/` of the archive bucket only, and its name in `EVENT_ARCHIVE_BUCKET`. */
  private archiveTo(config: StageConfig): void {
    this.fn.addEnvironment('EVENT_ARCHIVE_BUCKET', archiveBucketName(config.prefix));
    this.fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: [archiveObjectsArn(config.prefix)] }));
    Validations.of(this.fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${archiveNagArn(config.prefix)}]`,
      reason: 'The worker writes archive objects whose keys depend on the events (currents/dt=<day>/type=<type>/<message>.json.gz), under currents/ of the archive bucket only, and may not read or delete them.',
    });
  }

  /** `events:PutEvents` on the change events bus only, and its name in `CHANGE_EVENT_BUS_NAME`. */
  private publishTo(bus: IEventBus | undefined): void {
    if (!bus) throw new Error('a function that publishes change events needs the change events bus');
    this.fn.addEnvironment('CHANGE_EVENT_BUS_NAME', bus.eventBusName);
    this.fn.addToRolePolicy(new PolicyStatement({ actions: ['events:PutEvents'], resources: [bus.eventBusArn] }));
  }

  /**
   * A DynamoDB stream event source: batches of 100, bisected on error, the failed record reported
   * (reportBatchItemFailures), 10 retries, then the batch's description goes to an SQS queue.
   */
  private consumeStream({ tables, config }: HubFunctionProps, table: TableKey): Queue {
    const failures = new Queue(this, 'StreamFailures', {
      queueName: `${config.prefix}-${table}-stream-failures`,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(failures).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This queue is itself the failure destination of a stream event source.' });
    this.fn.addEventSource(
      new DynamoEventSource(tables[table], {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        onFailure: new SqsDlq(failures),
      }),
    );
    return failures;
  }

  /**
   * Decrypt only, only with this key, and only ciphertexts whose encryption context is a workspace's
   * secret of one of `purposes` (`{ workspaceId, purpose }`, adapters/secret-box.ts); the admin CLI
   * (not a function) encrypts.
   */
  private grantDecrypt(key: IKey, purposes: readonly string[]): void {
    this.fn.addEnvironment('SECRET_KMS_KEY_ID', key.keyArn);
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [key.keyArn],
        conditions: {
          StringEquals: { 'kms:EncryptionContext:purpose': [...purposes] },
          Null: { 'kms:EncryptionContext:workspaceId': 'false' },
          'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['workspaceId', 'purpose'] },
        },
      }),
    );
  }

  /** The function itself: its log group, the esbuild bundle, runtime, memory, timeout and base environment. */
  private bundledFunction({ key, definition, config, environment }: HubFunctionProps): NodejsFunction {
    const name = `${config.prefix}-${key}`;
    const logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${name}`,
      retention: config.logRetention,
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const timeoutSeconds =
      definition.timeoutSeconds ?? (definition.consumes ? QUEUES[definition.consumes].workerTimeoutSeconds : 29);
    return new NodejsFunction(this, 'Function', {
      functionName: name,
      description: definition.description,
      entry: join(root, definition.entry),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: definition.memoryMb ?? config.lambdaMemoryMb,
      timeout: Duration.seconds(timeoutSeconds),
      logGroup,
      projectRoot: root,
      depsLockFilePath: join(root, 'package-lock.json'),
      bundling: {
        format: OutputFormat.CJS,
        minify: true,
        sourceMap: true,
        target: 'node24',
        externalModules: ['@aws-sdk/*', '@smithy/*'],
        ...(definition.consoleAssets ? { commandHooks: consoleAssetHooks } : {}),
      },
      // A member partition's claim outlives its writer by no more than the writer's own timeout.
      environment: baseEnvironment(config, { MEMBERSHIP_LEASE_SECONDS: String(timeoutSeconds), ...environment }),
      // Opt-in per stage (stage-config.ts): reserving fails the deploy in an account whose quota is small.
      reservedConcurrentExecutions: config.reservedConcurrency?.[key],
    });
  }

  /**
   * Each table the definition lists: its name in the environment, and explicit actions on the table
   * and each of its named indexes — no `index/*` wildcard, and Scan only on the tables listed in `scansTables`.
   * A scoped write gets its actions on the table alone, conditioned on the item's partition key.
   */
  private grantTables({ definition, tables }: HubFunctionProps): void {
    for (const [table, access] of Object.entries(definition.tables) as [TableKey, Access][]) {
      const resource = tables[table];
      this.fn.addEnvironment(TABLES[table].envVar, resource.tableName);
      const indexes: readonly { indexName: string }[] = TABLES[table].gsis;
      const everything = [resource.tableArn, ...indexes.map((index) => `${resource.tableArn}/index/${index.indexName}`)];
      if (typeof access !== 'string') {
        this.grantScopedWrite(resource.tableArn, access);
        if (access.reads) this.fn.addToRolePolicy(new PolicyStatement({ actions: [...READ_ACTIONS], resources: everything }));
        continue;
      }
      this.fn.addToRolePolicy(new PolicyStatement({ actions: access === 'write' ? [...READ_ACTIONS, ...WRITE_ACTIONS] : [...READ_ACTIONS], resources: everything }));
    }
    // Credential items (`CRED#<kind>#<hash>`, the credential index) are written by the console's admin function alone.
    if (definition.tables.workspaces === 'write' && !definition.writesCredentials) {
      this.fn.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.DENY,
          actions: [...WRITE_ACTIONS],
          resources: [tables.workspaces.tableArn],
          conditions: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': ['CRED#*'] } },
        }),
      );
    }
    // Scan only where a definition asks for it, on the table alone (the AB Tasty refresh lists every workspace).
    for (const table of definition.scansTables ?? []) {
      this.fn.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:Scan'], resources: [tables[table].tableArn] }));
    }
  }

  /** Only these actions, only on items whose partition key matches one of the patterns. */
  private grantScopedWrite(tableArn: string, scope: ScopedWrite): void {
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: scope.actions.map((action) => `dynamodb:${action}`),
        resources: [tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...scope.leadingKeys] } },
      }),
    );
  }

  /** Queues it sends to (send only) and queues it inspects (GetQueueAttributes only, for health). */
  private grantQueues({ definition, queues }: HubFunctionProps): void {
    for (const queue of definition.sendsTo) {
      this.fn.addEnvironment(QUEUES[queue].envVar, queues[queue].queue.queueUrl);
      queues[queue].queue.grantSendMessages(this.fn);
    }
    for (const queue of definition.inspectsQueues ?? []) {
      this.fn.addEnvironment(QUEUES[queue].envVar, queues[queue].queue.queueUrl);
      this.fn.addToRolePolicy(new PolicyStatement({ actions: ['sqs:GetQueueAttributes'], resources: [queues[queue].queue.queueArn] }));
      if (definition.inspectsDlqs) this.fn.addToRolePolicy(new PolicyStatement({ actions: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], resources: [queues[queue].dlq.queueArn] }));
    }
  }

  /** The SQS event source of a worker. */
  private consume({ queues }: HubFunctionProps, consumes: QueueKey): void {
    const queue = QUEUES[consumes];
    this.fn.addEventSource(
      new SqsEventSource(queues[consumes].queue, {
        batchSize: queue.batchSize,
        // FIFO event sources take no batching window.
        ...(isFifoQueue(consumes) ? {} : { maxBatchingWindow: Duration.seconds(1) }),
        // Lambda retries only the records listed in batchItemFailures.
        reportBatchItemFailures: true,
        // Caps concurrent invocations for this queue, protecting DynamoDB from bursts.
        maxConcurrency: queue.maxConcurrency,
      }),
    );
  }
}
