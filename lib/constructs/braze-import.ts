/**
 * The Braze import bucket (docs/braze-export.md): where Braze writes user exports once its S3
 * settings name it. Encrypted, private, TLS only, access-logged; objects tagged `hub-import=applied`
 * by the worker expire after `brazeImportRetention`, any other after `brazeImportMaxAge` (a bucket
 * given to Braze receives *all* that workspace's exports). An S3 event notification sends objects
 * created under `segment-export/<segment id>/` (each configured segment, or the whole
 * `segment-export/` prefix) to the brazeExport queue. Braze gets write access through the managed
 * policy its docs ask for, attached to a role it assumes (when its account id and external id are
 * configured) or to an IAM user whose keys the owner creates.
 */
import type { RemovalPolicy} from 'aws-cdk-lib';
import { Aws, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import { AccountPrincipal, Effect, ManagedPolicy, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, EventType, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IMPORT_APPLIED_TAG, SEGMENT_EXPORT_PREFIX } from '../../functions/shared/definitions/buckets';
import type { StageConfig } from '../stage-config';
import { accessLogBucket } from './access-log-bucket';

export interface BrazeImportProps {
  readonly config: StageConfig;
  readonly queue: Queue;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The bucket's name, fixed per stage, account and region, so the service stack can name its ARN
 * without a cross-stack reference (and the least-privilege grants read the same in every stage).
 */
export const importBucketName = (prefix: string): string => `${prefix}-braze-import-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
export const importBucketArn = (prefix: string, objects?: string): string =>
  `arn:${Aws.PARTITION}:s3:::${importBucketName(prefix)}${objects === undefined ? '' : `/${objects}`}`;
/** How cdk-nag prints that ARN in a finding. */
export const nagArn = (prefix: string, objects: string): string => `arn:<AWS::Partition>:s3:::${prefix}-braze-import-<AWS::AccountId>-<AWS::Region>/${objects}`;

/** The key prefixes that notify the worker. */
export const notificationPrefixes = (config: StageConfig): string[] =>
  config.brazeExportSegments?.length ? config.brazeExportSegments.map((segment) => `${SEGMENT_EXPORT_PREFIX}${segment}/`) : [SEGMENT_EXPORT_PREFIX];

export class BrazeImport extends Construct {
  readonly bucket: Bucket;
  readonly writerPolicy: ManagedPolicy;
  readonly role?: Role;

  constructor(scope: Construct, id: string, props: BrazeImportProps) {
    super(scope, id);
    const { config } = props;
    this.bucket = this.createBucket(config, props.removalPolicy);
    for (const prefix of notificationPrefixes(config)) this.bucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(props.queue), { prefix });
    this.writerPolicy = this.brazeWriterPolicy(config.prefix);
    // The notification's custom resource (a CDK singleton Lambda) runs with the basic execution role.
    Validations.of(Stack.of(this)).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "CloudWatch Logs only, for CDK's bucket-notification custom resource that configures the import bucket's S3 event notification.",
    });
    if (config.brazeAwsAccountId && config.brazeExternalId) {
      this.role = new Role(this, 'BrazeRole', {
        description: "Assumed by Braze's AWS account to write user exports into the import bucket",
        assumedBy: new AccountPrincipal(config.brazeAwsAccountId),
        externalIds: [config.brazeExternalId],
        managedPolicies: [this.writerPolicy],
      });
      new CfnOutput(this, 'BrazeRoleArn', { value: this.role.roleArn, description: 'Braze → Technology Partners → Amazon S3 → AWS Role ARN' });
    }
    new CfnOutput(this, 'BrazeImportBucketName', { value: this.bucket.bucketName, description: 'Braze → Technology Partners → Amazon S3 → AWS S3 Bucket Name' });
    new CfnOutput(this, 'BrazeWriterPolicyArn', { value: this.writerPolicy.managedPolicyArn, description: 'Attach to an IAM user whose access key you give Braze (AWS Secret Access Key method)' });
  }

  private createBucket(config: StageConfig, removalPolicy: RemovalPolicy): Bucket {
    const accessLogs = accessLogBucket(this, 'AccessLogs', removalPolicy, 'import bucket');
    return new Bucket(this, 'Bucket', {
      bucketName: importBucketName(config.prefix),
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'braze-import/',
      lifecycleRules: [
        { id: 'applied-exports', tagFilters: { [IMPORT_APPLIED_TAG.key]: IMPORT_APPLIED_TAG.value }, expiration: config.brazeImportRetention },
        { id: 'everything-else', expiration: config.brazeImportMaxAge, abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy,
    });
  }

  /** Braze's documented policy for dashboard data exports (its Amazon S3 partner page), on this bucket only. */
  private brazeWriterPolicy(prefix: string): ManagedPolicy {
    const policy = new ManagedPolicy(this, 'BrazeWriterPolicy', {
      description: 'What Braze needs to write user exports into the import bucket (its documented data export policy)',
      statements: [
        new PolicyStatement({ effect: Effect.ALLOW, actions: ['s3:ListBucket', 's3:GetBucketLocation'], resources: [importBucketArn(prefix)] }),
        new PolicyStatement({ effect: Effect.ALLOW, actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], resources: [importBucketArn(prefix, '*')] }),
      ],
    });
    policy.node.addDependency(this.bucket);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(prefix, '*')}]`,
      reason: 'Braze writes export objects whose keys it chooses (segment-export/<segment>/<day>/<uuid>-<time>/<file>) into this one bucket; the actions are the ones its docs require.',
    });
    return policy;
  }
}
