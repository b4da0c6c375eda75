/**
 * The Currents archive (docs/currents.md "Full history"): a private, SSL-only, encrypted, access-logged
 * bucket whose lifecycle never expires the history unless the stage says so, and `s3:PutObject` on
 * `currents/*` of it for the currents worker only.
 */
import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { functionDefinitions } from '../../functions/shared/definitions/functions';
import { ServiceStack } from '../../lib/service-stack';
import { StatefulStack } from '../../lib/stateful-stack';
import { STAGES, stageConfig, type StageConfig } from '../../lib/stage-config';

const synth = (config: StageConfig, id: string) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stateful = new StatefulStack(app, `S-${id}`, { config });
  const service = new ServiceStack(app, `V-${id}`, { config, stateful });
  return { stateful: Template.fromStack(stateful), service: Template.fromStack(service), archiveId: stateful.getLogicalId(stateful.eventArchive.node.defaultChild as never) };
};

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
const statementsOf = (service: Template, key: string): Statement[] =>
  Object.values(service.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`${key}Fn`))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
const s3Statements = (service: Template, key: string) => statementsOf(service, key).filter((statement) => [statement.Action].flat().some((action) => action.startsWith('s3:')));

describe('Currents archive infrastructure', () => {
  const prod = synth(STAGES.prod, 'archive-prod');

  it('creates an encrypted, private, SSL-only, access-logged archive bucket with no expiration', () => {
    const bucket = prod.stateful.findResources('AWS::S3::Bucket')[prod.archiveId];
    expect(JSON.stringify(bucket?.Properties.BucketName)).toContain('hub-prod-currents-archive-');
    expect(bucket?.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: { DestinationBucketName: expect.anything() as unknown, LogFilePrefix: 'archive/' },
    });
    const rules = bucket?.Properties.LifecycleConfiguration.Rules as Record<string, unknown>[];
    expect(rules).toEqual([
      { Id: 'currents-archive', Prefix: 'currents/', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
    ]);
    for (const rule of rules) expect(rule).not.toHaveProperty('ExpirationInDays');
    prod.stateful.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: prod.archiveId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('expires archived events only when the stage promises a retention (-c eventArchiveDays)', () => {
    const config = stageConfig('prod', (key) => ({ eventArchiveDays: '3650', eventHotDays: '14' })[key]);
    expect(config).toMatchObject({ eventHotDays: 14, eventArchiveExpiration: Duration.days(3650) });
    const limited = synth(config, 'archive-limited');
    const rules = limited.stateful.findResources('AWS::S3::Bucket')[limited.archiveId]?.Properties.LifecycleConfiguration.Rules as Record<string, unknown>[];
    expect(rules[0]).toMatchObject({ ExpirationInDays: 3650 });
  });

  it('lets only the currents worker write to the archive: s3:PutObject under currents/ only, and tells it the bucket and hot window', () => {
    const writers = functionDefinitions().filter(([key]) => s3Statements(prod.service, key).some((statement) => JSON.stringify(statement.Resource).includes('currents-archive'))).map(([key]) => key);
    expect(writers).toEqual(['currentsWorker']);
    const [statement, ...others] = s3Statements(prod.service, 'currentsWorker');
    expect(others).toEqual([]);
    expect([statement?.Action].flat()).toEqual(['s3:PutObject']);
    // The bucket's fixed name + "/currents/*": nothing else of the bucket.
    expect(JSON.stringify(statement?.Resource)).toMatch(/:s3:::hub-prod-currents-archive-.*\/currents\/\*"/);
    const fn = Object.values(prod.service.findResources('AWS::Lambda::Function')).find((resource) => resource.Properties.FunctionName === `${STAGES.prod.prefix}-currentsWorker`);
    expect(fn?.Properties.Environment.Variables).toMatchObject({ EVENT_ARCHIVE_BUCKET: expect.anything() as unknown, EVENT_HOT_DAYS: '30' });
  });
});
