/**
 * The Currents archive bucket (docs/currents.md "Full history"): every event as gzip JSON lines under
 * `currents/dt=/type=/`, written by the currents worker. Its name is fixed per stage, account and
 * region (like the Braze import bucket), so the service stack grants `currents/*` by ARN without a
 * cross-stack reference and cdk-nag prints the same resource in every stage.
 */
import { Aws, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { ARCHIVE_PREFIX } from '../../functions/shared/definitions/buckets';
import { accessLogBucket } from './access-log-bucket';
import type { StageConfig } from '../stage-config';

export const archiveBucketName = (prefix: string): string => `${prefix}-currents-archive-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
/** The ARN of the archive's objects under `currents/`, the only place the worker may write. */
export const archiveObjectsArn = (prefix: string): string => `arn:${Aws.PARTITION}:s3:::${archiveBucketName(prefix)}/${ARCHIVE_PREFIX}*`;
/** How cdk-nag prints that ARN in a finding. */
export const archiveNagArn = (prefix: string): string => `arn:<AWS::Partition>:s3:::${prefix}-currents-archive-<AWS::AccountId>-<AWS::Region>/${ARCHIVE_PREFIX}*`;

/**
 * Private, SSL only, SSE-S3, access-logged. No expiration unless the stage promises one
 * (`eventArchiveExpiration`): a lifecycle here would silently cap the history analysts were promised.
 * No storage-class transition: the objects are a few KB (one day and type of one message), and S3
 * neither transitions objects under 128 KB by default nor bills IA / Glacier IR below 128 KB each,
 * so Standard is the cheapest class for them (docs/scaling.md).
 */
export const eventArchiveBucket = (scope: Construct, config: StageConfig, removalPolicy: RemovalPolicy): Bucket => {
  const accessLogs = accessLogBucket(scope, 'ArchiveAccessLogs', removalPolicy, 'event archive bucket');
  return new Bucket(scope, 'EventArchive', {
    bucketName: archiveBucketName(config.prefix),
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    serverAccessLogsBucket: accessLogs,
    serverAccessLogsPrefix: 'archive/',
    lifecycleRules: [
      {
        id: 'currents-archive',
        prefix: ARCHIVE_PREFIX,
        ...(config.eventArchiveExpiration ? { expiration: config.eventArchiveExpiration } : {}),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      },
    ],
    removalPolicy,
  });
};
