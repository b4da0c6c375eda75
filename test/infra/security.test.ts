/**
 * Operations and security wiring (issue 15): alarms that can reach someone, a flood guard that answers
 * 429 + Retry-After, and a smaller blast radius for the functions the internet can reach.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ServiceStack } from '../../lib/service-stack';
import { StatefulStack } from '../../lib/stateful-stack';
import { STAGES, type StageConfig } from '../../lib/stage-config';

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly Principal?: { readonly Service?: string };
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Synthesizes one stage with bundling off. */
const synth = (config: StageConfig) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stateful = new StatefulStack(app, 'S', { config });
  const service = new ServiceStack(app, 'V', { config, stateful });
  return { stateful: Template.fromStack(stateful), service: Template.fromStack(service) };
};

const actionsOf = (statement: Statement): string[] => [statement.Action].flat();

describe('alarm topic', () => {
  const { service } = synth(STAGES.prod);

  it('is encrypted with a key whose policy lets CloudWatch (for this account only) publish', () => {
    const [topic] = Object.values(service.findResources('AWS::SNS::Topic'));
    const keyId = JSON.stringify(topic?.Properties.KmsMasterKeyId);
    const keys = Object.entries(service.findResources('AWS::KMS::Key')).filter(([logicalId]) => keyId.includes(logicalId));
    expect(keys).toHaveLength(1);
    const statements = keys[0]?.[1].Properties.KeyPolicy.Statement as Statement[];
    const cloudWatch = statements.filter((statement) => statement.Principal?.Service === 'cloudwatch.amazonaws.com' && statement.Effect === 'Allow');

    expect(cloudWatch).toHaveLength(1);
    expect(actionsOf(cloudWatch[0] as Statement)).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
    expect(cloudWatch[0]?.Condition?.StringEquals?.['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
  });

  it('is left alone when the stage names an existing topic', () => {
    const { service: existing } = synth({ ...STAGES.prod, alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:oncall' });
    existing.resourceCountIs('AWS::SNS::Topic', 0);
    existing.resourceCountIs('AWS::KMS::Key', 0);
  });
});
