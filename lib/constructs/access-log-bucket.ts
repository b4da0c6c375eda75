/** The private access-log bucket every hub bucket logs to (SSL only, 90-day expiry). */
import { Duration, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/** An access-log bucket for `what` (named in the cdk-nag acknowledgement: a log bucket is not logged again). */
export const accessLogBucket = (scope: Construct, id: string, removalPolicy: RemovalPolicy, what: string): Bucket => {
  const bucket = new Bucket(scope, id, {
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
    lifecycleRules: [{ expiration: Duration.days(90) }],
    removalPolicy,
  });
  Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: `This bucket receives the ${what} access logs; logging it again would recurse.` });
  return bucket;
};
