/**
 * The SQS work queues, each with its DLQ and the Lambda event-source settings of its worker.
 * Read by the CDK stacks and by the local pollers, so both behave alike.
 */
export interface QueueDefinition {
  readonly name: string;
  readonly envVar: string;
  /** Worker Lambda timeout; the queue's visibility timeout is derived from it. */
  readonly workerTimeoutSeconds: number;
  /** Receives before SQS moves a message to the DLQ. */
  readonly maxReceiveCount: number;
  /**
   * Records of one batch processed at once (Powertools' default). Off for the membership queues:
   * each record fans out over a set's member partitions already, and records of one set would only
   * wait for each other's hold on the same partitions (docs/data-model.md).
   */
  readonly parallelRecords?: boolean;
  readonly batchSize: number;
  /** Lambda event-source `maxConcurrency`: caps DynamoDB write pressure. */
  readonly maxConcurrency: number;
  /**
   * A FIFO queue (and FIFO DLQ): messages of one `MessageGroupId` are received in order, one batch
   * at a time; physical names end in `.fifo`; no batching window on the event source.
   */
  readonly fifo?: boolean;
}

export const QUEUES = {
  cohortImport: {
    name: 'cohort-import',
    envVar: 'QUEUE_COHORT_IMPORT',
    workerTimeoutSeconds: 60,
    maxReceiveCount: 5,
    batchSize: 10,
    parallelRecords: false,
    // 250,000 requests/hour × 1,000 ids needs a few invocations of 8 partition writers each (docs/scaling.md).
    maxConcurrency: 20,
  },
  currents: {
    name: 'currents',
    envVar: 'QUEUE_CURRENTS',
    workerTimeoutSeconds: 60,
    maxReceiveCount: 5,
    batchSize: 10,
    maxConcurrency: 10,
  },
  heapSync: {
    name: 'heap-sync',
    envVar: 'QUEUE_HEAP_SYNC',
    workerTimeoutSeconds: 60,
    maxReceiveCount: 5,
    batchSize: 10,
    parallelRecords: false,
    // 4–6 invocations × 8 partition writers reach a 10 M sync in 5 minutes; 10 leaves room for several syncs (docs/scaling.md).
    maxConcurrency: 10,
  },
  abTastyDelivery: {
    // AB Tasty pushes on their own queue: a slow or failing AB Tasty never delays imports or syncs.
    // One push per invocation (it streams whole segments, retrying within the Lambda's 15 minutes).
    name: 'abtasty-delivery',
    envVar: 'QUEUE_ABTASTY_DELIVERY',
    workerTimeoutSeconds: 900,
    maxReceiveCount: 5,
    batchSize: 1,
    maxConcurrency: 5,
  },
  brazeExport: {
    // Braze user export files (S3 notifications of the import bucket, and download jobs): one file
    // of ~5,000 users per invocation, a quarter hour at most; few receives, as each is long.
    name: 'braze-export',
    envVar: 'QUEUE_BRAZE_EXPORT',
    workerTimeoutSeconds: 900,
    maxReceiveCount: 3,
    batchSize: 1,
    maxConcurrency: 4,
  },
  changeWebhook: {
    // Membership changes for the per-workspace signed webhooks (docs/events.md): FIFO, grouped by a
    // hash bucket of (workspace, set, member), so one member's changes are POSTed in order. A
    // message's POST retries inside the invocation for at most 30 s; a failed message keeps its
    // group waiting for the visibility timeout (6 × 120 s), so the 5 receives span about an hour.
    name: 'change-webhook',
    envVar: 'QUEUE_CHANGE_WEBHOOK',
    workerTimeoutSeconds: 120,
    maxReceiveCount: 5,
    batchSize: 10,
    maxConcurrency: 10,
    fifo: true,
  },
} as const satisfies Record<string, QueueDefinition>;

export type QueueKey = keyof typeof QUEUES;

/** A queue's definition with every optional field visible (`QUEUES` keeps each entry's literal type). */
export const queueDefinition = (queue: QueueKey): QueueDefinition => QUEUES[queue];

/**
 * AWS advises a visibility timeout of at least 6× the function timeout for SQS event sources:
 * the poller may hold a batch while retrying throttled invocations, and a message that becomes
 * visible while still being processed would be delivered twice.
 */
export const visibilityTimeoutSeconds = (queue: QueueDefinition): number => queue.workerTimeoutSeconds * 6;

/** SQS rejects messages over 256 KiB; AWS's limit, also enforced on the emulator. */
export const MAX_MESSAGE_BYTES = 262_144;

/** DLQ retention: the SQS maximum, 14 days, so an operator has time to redrive. */
export const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

/** True for a FIFO queue (its DLQ is FIFO too). */
export const isFifoQueue = (queue: QueueKey): boolean => queueDefinition(queue).fifo === true;

/** SQS requires FIFO queue names to end in `.fifo`. */
const suffix = (queue: QueueKey): string => (isFifoQueue(queue) ? '.fifo' : '');

export const physicalQueueName = (prefix: string, queue: QueueKey): string => `${prefix}-${QUEUES[queue].name}${suffix(queue)}`;
export const physicalDlqName = (prefix: string, queue: QueueKey): string => `${prefix}-${QUEUES[queue].name}-dlq${suffix(queue)}`;
