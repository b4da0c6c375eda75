/**
 * Assembles the local hub on running DynamoDB Local and SQS emulator endpoints: provisions tables
 * and queues from the shared definitions, exports the same environment variables the CDK stack
 * gives each Lambda, then starts the HTTP server, one poller per worker queue and the AB Tasty
 * refresh timer.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { functionDefinitions } from '../../functions/shared/definitions/functions';
import { isFifoQueue, QUEUES, type QueueKey } from '../../functions/shared/definitions/queues';
import { TABLES, type TableKey } from '../../functions/shared/definitions/tables';
import { resetSettings } from '../../functions/shared/config';
import { buildOpenApi } from '../../functions/shared/openapi';
import { loadHandler, type SqsLambda } from './handlers';
import { startHttpServer, type ExtraRoute } from './http-server';
import { startPoller, type Poller } from './poller';
import { localStreamsClient, startStreamPoller, type StreamLambda, type StreamPoller } from './stream-poller';
import { startAbTastyRefreshTimer } from './schedule';
import { provisionQueues, provisionTables, type ProvisionedQueue } from './provision';
import { startBrazeExportTimer } from './braze-export-timer';
import { startS3Folder } from './s3-folder';
import { buildConsole } from '../console/build';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_AWS_ENV } from './services';
import { withoutSdkLogger } from '../../functions/adapters/aws-clients';

export interface HubOptions {
  readonly dynamoEndpoint: string;
  readonly sqsEndpoint: string;
  /** HTTP port; 0 picks a free one. */
  readonly port: number;
  readonly prefix?: string;
  /** Local visibility timeout, so redelivery takes seconds rather than 6× the worker timeout. */
  readonly visibilitySeconds?: number;
  /** Base64 AES key that encrypts workspace webhook secrets locally. */
  readonly secretKey: string;
  readonly pollers?: boolean;
  /** Also run the DynamoDB stream consumers (membership history, change events); default true. */
  readonly streamPollers?: boolean;
  readonly pollerConcurrency?: number;
  readonly extraRoutes?: ExtraRoute[];
  /** Extra environment (log level, tunables) applied before handlers load. */
  readonly env?: Record<string, string>;
  /** Period of the AB Tasty refresh sweep (EventBridge Scheduler in AWS); default a day, 0 turns it off. */
  readonly abTastyRefreshMs?: number;
  /** Braze import bucket as a watched folder (`<s3Dir>/<prefix>-braze-import/…`): S3 events to the brazeExport queue. Off when unset. */
  readonly s3Dir?: string;
  /** Where change events are written as JSON lines (the EventBridge bus in AWS, docs/events.md); default a fresh temporary folder. */
  readonly eventsDir?: string;
  /** The folder standing for the Currents archive bucket (`<archiveDir>/currents/dt=…/type=…/…json.gz`); a temporary folder when unset. */
  readonly archiveDir?: string;
  /** Period of the Braze export check (EventBridge Scheduler in AWS); default an hour, 0 turns it off. */
  readonly brazeExportCheckMs?: number;
  /** Runs once tables and queues exist, before the server accepts requests (seeding the dev workspace). */
  /** Where the web console is built (served by the console function); default a fresh temporary folder. */
  readonly consoleDir?: string;
  readonly beforeListen?: (resources: { tables: Record<TableKey, string>; dynamo: DynamoDBClient }) => Promise<void>;
}

export interface LocalHub {
  readonly url: string;
  readonly port: number;
  readonly tables: Record<TableKey, string>;
  readonly queues: Record<QueueKey, ProvisionedQueue>;
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
  /** The watched folder standing for the Braze import bucket, when `s3Dir` was given. */
  readonly importBucketDir: string | undefined;
  /** The folder of published change events (`membership-changed.jsonl`). */
  readonly eventsDir: string;
  /** The folder standing for the Currents archive bucket. */
  readonly archiveDir: string;
  /** The DynamoDB stream consumers (membership history, change events): pause, resume, wait until caught up. */
  readonly streams: { pause(): void; resume(): void; settled(): Promise<void> };
  /** The worker polling one queue: pause (its messages wait), resume. No-ops without pollers. */
  readonly workers: { pause(queue: QueueKey): void; resume(queue: QueueKey): void };
  stop(): Promise<void>;
}

/**
 * The AWS SDK clients every local tool uses, pointed at the local endpoints. Without the SDK's logger
 * middleware, as the hub's own (`withoutSdkLogger`): the local pollers stand in for Lambda's event
 * source mappings, and filtering every received message body for a discarding logger cost the
 * bench's process ≈ 6 CPU s per 100,000-identifier cohort import on the cores the hub shares.
 */
export const localClients = (dynamoEndpoint: string, sqsEndpoint: string) => {
  const credentials = { accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY };
  return {
    dynamo: withoutSdkLogger(new DynamoDBClient({ endpoint: dynamoEndpoint, region: LOCAL_AWS_ENV.AWS_REGION, credentials })),
    sqs: withoutSdkLogger(new SQSClient({ endpoint: sqsEndpoint, region: LOCAL_AWS_ENV.AWS_REGION, credentials, useQueueUrlAsEndpoint: false })),
  };
};

/** The environment the CDK stack gives each Lambda, pointed at the local endpoints, tables and queues. */
const exportLambdaEnvironment = (options: HubOptions, tables: Record<TableKey, string>, queues: Record<QueueKey, ProvisionedQueue>): void => {
  Object.assign(process.env, LOCAL_AWS_ENV, {
    AWS_ENDPOINT_URL_DYNAMODB: options.dynamoEndpoint,
    AWS_ENDPOINT_URL_SQS: options.sqsEndpoint,
    HUB_LOCAL_SECRET_KEY: options.secretKey,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    // Handlers run in this process: a membership claim outlives a crashed writer by a worker timeout at most.
    MEMBERSHIP_LEASE_SECONDS: '60',
    ...options.env,
  });
  for (const key of Object.keys(TABLES) as TableKey[]) process.env[TABLES[key].envVar] = tables[key];
  for (const key of Object.keys(QUEUES) as QueueKey[]) process.env[QUEUES[key].envVar] = queues[key].url;
  resetSettings();
};

/** `GET /openapi.json`, served by the local stack only (the deployed API is described by the same file, docs/openapi.json). */
const openapiRoute = (): ExtraRoute => {
  const openapi = JSON.stringify(buildOpenApi(process.env.npm_package_version ?? 'local'));
  return (request, response) => {
    if (request.method !== 'GET' || request.url !== '/openapi.json') return false;
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(openapi);
    return true;
  };
};

/** One poller per function that consumes a queue, behaving like Lambda's SQS event source. */
const startPollers = async (sqs: SQSClient, queues: Record<QueueKey, ProvisionedQueue>, concurrency: number): Promise<Map<QueueKey, Poller>> => {
  const pollers = new Map<QueueKey, Poller>();
  for (const [name, definition] of functionDefinitions()) {
    if (!definition.consumes) continue;
    const queueKey = definition.consumes;
    const queueUrl = queues[queueKey].url;
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
    pollers.set(
      queueKey,
      startPoller({
        sqs,
        name,
        queueUrl,
        queueArn: attributes.Attributes?.QueueArn ?? '',
        batchSize: QUEUES[queueKey].batchSize,
        handler: await loadHandler<SqsLambda>(definition),
        timeoutSeconds: definition.timeoutSeconds ?? QUEUES[queueKey].workerTimeoutSeconds,
        concurrency,
        fifo: isFifoQueue(queueKey),
      }),
    );
  }
  return pollers;
};

/** One stream poller per function that consumes a table's stream, behaving like Lambda's DynamoDB Streams event source. */
const startStreamPollers = async (dynamo: DynamoDBClient, tables: Record<TableKey, string>): Promise<StreamPoller[]> => {
  const pollers: StreamPoller[] = [];
  const streams = await localStreamsClient(dynamo);
  for (const [name, definition] of functionDefinitions()) {
    if (!definition.streamsFrom) continue;
    const handler = await loadHandler<StreamLambda>(definition);
    pollers.push(await startStreamPoller({ dynamo, streams, name, tableName: tables[definition.streamsFrom], handler, timeoutSeconds: definition.timeoutSeconds ?? 60 }));
  }
  return pollers;
};

export const startHub = async (options: HubOptions): Promise<LocalHub> => {
  const prefix = options.prefix ?? 'hub-local';
  const { dynamo, sqs } = localClients(options.dynamoEndpoint, options.sqsEndpoint);
  const tables = await provisionTables(dynamo, prefix, { streams: options.streamPollers !== false });
  const queues = await provisionQueues(sqs, prefix, options.visibilitySeconds ?? 10);
  const built = await buildConsole(options.consoleDir ?? mkdtempSync(join(tmpdir(), 'hub-console-')));
  const eventsDir = options.eventsDir ?? mkdtempSync(join(tmpdir(), 'hub-events-'));
  const archiveDir = options.archiveDir ?? mkdtempSync(join(tmpdir(), 'hub-archive-'));
  const env = { ...(options.s3Dir ? { HUB_LOCAL_S3_DIR: options.s3Dir } : {}), CONSOLE_ASSETS_DIR: built.outDir, HUB_LOCAL_EVENTS_DIR: eventsDir, HUB_LOCAL_ARCHIVE_DIR: archiveDir, ...options.env };
  exportLambdaEnvironment({ ...options, env }, tables, queues);
  await options.beforeListen?.({ tables, dynamo });

  const server = await startHttpServer(options.port, [openapiRoute(), ...(options.extraRoutes ?? [])]);
  const streamPollers = options.pollers !== false && options.streamPollers !== false ? await startStreamPollers(dynamo, tables) : [];
  const queuePollers = options.pollers !== false ? await startPollers(sqs, queues, options.pollerConcurrency ?? 2) : new Map<QueueKey, Poller>();
  const pollers = [...queuePollers.values(), ...streamPollers];
  const refresh = options.abTastyRefreshMs === 0 ? undefined : startAbTastyRefreshTimer({ sqs, queueUrl: queues.abTastyDelivery.url, ...(options.abTastyRefreshMs ? { intervalMs: options.abTastyRefreshMs } : {}) });
  const importBucket = `${prefix}-braze-import`;
  const s3Folder = options.s3Dir ? startS3Folder({ root: options.s3Dir, bucket: importBucket, sqs, queueUrl: queues.brazeExport.url }) : undefined;
  const brazeTimer = options.brazeExportCheckMs === 0 ? undefined : await startBrazeExportTimer(options.brazeExportCheckMs);

  return {
    url: server.url,
    port: server.port,
    tables,
    queues,
    dynamo,
    sqs,
    importBucketDir: s3Folder?.dir,
    eventsDir,
    archiveDir,
    streams: {
      pause: () => streamPollers.forEach((poller) => poller.pause()),
      resume: () => streamPollers.forEach((poller) => poller.resume()),
      settled: async () => {
        await Promise.all(streamPollers.map((poller) => poller.settled()));
      },
    },
    workers: {
      pause: (queue) => queuePollers.get(queue)?.pause(),
      resume: (queue) => queuePollers.get(queue)?.resume(),
    },
    stop: async () => {
      refresh?.stop();
      s3Folder?.stop();
      brazeTimer?.stop();
      await Promise.all(pollers.map((poller) => poller.stop()));
      await server.stop();
    },
  };
};
