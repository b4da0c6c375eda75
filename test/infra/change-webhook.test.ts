/**
 * The change webhook's infrastructure (docs/events.md, "Signed webhook"): the FIFO queue and its
 * FIFO DLQ, the DLQ alarm, the worker's FIFO event source, and grants narrowed to what each side needs.
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { STAGES } from '../../lib/stage-config';
import { ServiceStack } from '../../lib/service-stack';
import { StatefulStack } from '../../lib/stateful-stack';

const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const statefulStack = new StatefulStack(app, 'S-webhook', { config: STAGES.prod });
const serviceStack = new ServiceStack(app, 'V-webhook', { config: STAGES.prod, stateful: statefulStack });
const stateful = Template.fromStack(statefulStack);
const service = Template.fromStack(serviceStack);
const prefix = STAGES.prod.prefix;

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const statementsOf = (key: string): Statement[] =>
  Object.values(service.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`${key}Fn`))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
const actionsOf = (key: string): string[] => statementsOf(key).flatMap((statement) => [statement.Action].flat());

describe('change webhook infrastructure', () => {
  it('creates the FIFO queue with a FIFO DLQ after maxReceiveCount, both encrypted', () => {
    stateful.hasResourceProperties('AWS::SQS::Queue', { QueueName: `${prefix}-change-webhook-dlq.fifo`, FifoQueue: true, SqsManagedSseEnabled: true });
    stateful.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: `${prefix}-change-webhook.fifo`,
      FifoQueue: true,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 5 },
    });
  });

  it('alarms on the DLQ and on rejected POSTs', () => {
    const alarms = Object.values(service.findResources('AWS::CloudWatch::Alarm')).map((alarm) => JSON.stringify(alarm.Properties));
    expect(alarms.some((alarm) => alarm.includes('changeWebhook-dlq-depth'))).toBe(true);
    expect(alarms.some((alarm) => alarm.includes('WebhookPostRejected'))).toBe(true);
  });

  it('gives the worker a FIFO event source without a batching window, reporting item failures', () => {
    const sources = Object.values(service.findResources('AWS::Lambda::EventSourceMapping')).filter((source) => JSON.stringify(source.Properties.FunctionName).includes('changeWebhookWorker'));
    expect(sources).toHaveLength(1);
    expect(sources[0]?.Properties).toMatchObject({ BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    expect(sources[0]?.Properties.MaximumBatchingWindowInSeconds).toBeUndefined();
  });

  it('grants the worker only: receive from its queue, read workspaces, put its report items, decrypt its secret', () => {
    const actions = new Set(actionsOf('changeWebhookWorker'));
    expect([...actions].filter((action) => action.startsWith('sqs:')).sort()).toEqual(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage']);
    expect(actions.has('sqs:SendMessage')).toBe(false);
    expect([...actions].filter((action) => action.startsWith('dynamodb:') && !/Get|Query|Describe|ConditionCheck|Scan/.test(action))).toEqual(['dynamodb:PutItem']);
    const put = statementsOf('changeWebhookWorker').find((statement) => [statement.Action].flat().includes('dynamodb:PutItem'));
    expect(JSON.stringify(put?.Condition)).toContain('*#WHK');
    expect(actions.has('events:PutEvents')).toBe(false);
    const kms = statementsOf('changeWebhookWorker').filter((statement) => [statement.Action].flat().includes('kms:Decrypt'));
    expect(JSON.stringify(kms)).toContain('changeWebhookSecret');
    expect(JSON.stringify(kms)).not.toContain('abTastyClientSecret');
  });

  it('lets the stream consumer send to the webhook queue and read workspaces, nothing more on them', () => {
    const statements = statementsOf('membershipHistory');
    // Its own stream-failures queue (Lambda's on-failure destination) and the webhook queue.
    const send = statements.filter((statement) => [statement.Action].flat().includes('sqs:SendMessage')).map((statement) => JSON.stringify(statement.Resource));
    expect(send).toHaveLength(2);
    expect(send.filter((resource) => resource.includes('changeWebhookQueue'))).toHaveLength(1);
    expect(send.filter((resource) => !resource.includes('changeWebhookQueue')).every((resource) => resource.includes('StreamFailures'))).toBe(true);
    expect(actionsOf('membershipHistory').some((action) => action === 'kms:Decrypt')).toBe(false);
  });
});
