import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ServiceStack } from '../../lib/service-stack';
import { StatefulStack } from '../../lib/stateful-stack';
import { STAGES, stageConfig, type StageName } from '../../lib/stage-config';

const synth = (stage: StageName, context: Record<string, string> = {}) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const config = stageConfig(stage, (key) => context[key]);
  const stateful = new StatefulStack(app, `S-${stage}`, { config });
  const service = new ServiceStack(app, `V-${stage}`, { config, stateful });
  return { stateful: Template.fromStack(stateful), service: Template.fromStack(service) };
};

/** A CloudFormation value as text (Fn::Join / Fn::GetAtt / Ref flattened), to look for names in it. */
const text = (value: unknown) => JSON.stringify(value);

describe('Braze import bucket', () => {
  const prod = synth('prod');

  it('is encrypted, private, TLS-only and access-logged; applied exports expire after the retention, everything else later', () => {
    const buckets = prod.stateful.findResources('AWS::S3::Bucket');
    const [, bucket] = Object.entries(buckets).find(([id]) => id.startsWith('BrazeImportBucket')) ?? [];
    expect(bucket?.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: expect.objectContaining({ LogFilePrefix: 'braze-import/' }),
    });
    expect(bucket?.Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ TagFilters: [{ Key: 'hub-import', Value: 'applied' }], ExpirationInDays: STAGES.prod.brazeImportRetention.toDays() }),
        expect.objectContaining({ ExpirationInDays: STAGES.prod.brazeImportMaxAge.toDays() }),
      ]),
    );
    expect(bucket?.DeletionPolicy).toBe('Retain');
    expect(text(Object.values(prod.stateful.findResources('AWS::S3::BucketPolicy')))).toContain('aws:SecureTransport');
  });

  it('notifies the brazeExport queue of objects created under segment-export/, or under each configured segment only', () => {
    const notification = (template: Template) => Object.values(template.findResources('Custom::S3BucketNotifications'))[0]?.Properties.NotificationConfiguration;
    const all = notification(prod.stateful);
    const some = notification(synth('dev', { brazeExportSegments: 'seg-a, seg-b' }).stateful);

    expect(all.QueueConfigurations).toEqual([expect.objectContaining({ Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'segment-export/' }] } } })]);
    expect(text(all.QueueConfigurations[0].QueueArn)).toContain('brazeExportQueue');
    expect(some.QueueConfigurations.map((configuration: { Filter: { Key: { FilterRules: { Value: string }[] } } }) => configuration.Filter.Key.FilterRules[0]?.Value)).toEqual(['segment-export/seg-a/', 'segment-export/seg-b/']);
  });

  it("gives Braze its documented write policy on this bucket only, and a role when Braze's account and external id are set", () => {
    const withRole = synth('dev', { brazeAwsAccountId: '123456789012', brazeExternalId: 'braze-external-id' }).stateful;

    const policy = Object.values(prod.stateful.findResources('AWS::IAM::ManagedPolicy'))[0]?.Properties.PolicyDocument.Statement;
    expect(policy.map((statement: { Action: string[] }) => statement.Action)).toEqual([['s3:ListBucket', 's3:GetBucketLocation'], ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']]);
    expect(text(policy)).toContain('braze-import');
    withRole.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Condition: { StringEquals: { 'sts:ExternalId': 'braze-external-id' } }, Principal: { AWS: Match.anyValue() } })] },
    });
    expect(Object.keys(withRole.findOutputs('*')).some((key) => key.includes('BrazeRoleArn'))).toBe(true);
    expect(Object.keys(prod.stateful.findOutputs('*')).some((key) => key.includes('BrazeRoleArn'))).toBe(false);
    expect(Object.keys(prod.stateful.findOutputs('*')).filter((key) => /BrazeImportBucketName|BrazeWriterPolicyArn/.test(key))).toHaveLength(2);
  });
});

describe('Braze export functions', () => {
  const { service } = synth('prod');
  const policyOf = (fn: string) =>
    Object.values(service.findResources('AWS::IAM::Policy'))
      .filter((policy) => text(policy.Properties.Roles).includes(`${fn}Fn`))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);

  it('lets the worker only read and tag objects under segment-export/ of the import bucket', () => {
    const s3 = policyOf('brazeExportWorker').filter((statement) => [statement.Action].flat().some((action) => action.startsWith('s3:')));

    expect(s3.map((statement) => statement.Action)).toEqual([['s3:GetObject', 's3:PutObjectTagging']]);
    expect(text(s3[0]?.Resource)).toContain('braze-import-');
    expect(text(s3[0]?.Resource)).toContain('/segment-export/*');
  });

  it('invokes the requester from an EventBridge Scheduler schedule, hourly', () => {
    service.hasResourceProperties('AWS::Scheduler::Schedule', { Name: 'hub-prod-braze-export', ScheduleExpression: 'rate(1 hour)', Target: Match.objectLike({ Arn: Match.anyValue() }) });
    const [schedule] = Object.values(service.findResources('AWS::Scheduler::Schedule', { Properties: { Name: 'hub-prod-braze-export' } }));
    expect(text(schedule?.Properties.Target.Arn)).toContain('brazeExportRequesterFn');
  });
});
