import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FUNCTIONS, functionDefinitions } from '../../functions/shared/definitions/functions';
import { ServiceStack } from '../../lib/service-stack';
import { StatefulStack } from '../../lib/stateful-stack';
import { STAGES } from '../../lib/stage-config';

const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const stateful = new StatefulStack(app, 'S-console', { config: STAGES.prod });
const service = Template.fromStack(new ServiceStack(app, 'V-console', { config: STAGES.prod, stateful }));

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const statementsOf = (key: string): Statement[] =>
  Object.values(service.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`${key}Fn`))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
const credentialDenies = (key: string) =>
  statementsOf(key).filter((statement) => statement.Effect === 'Deny' && JSON.stringify(statement.Condition ?? {}).includes('CRED#*') && JSON.stringify(statement.Resource).includes('workspacesTable'));

describe('web console infrastructure', () => {
  it('lets only the console admin function write credential items of the workspaces table', () => {
    const access = (definition: unknown) => (definition as { tables: { workspaces?: unknown } }).tables.workspaces;
    const fullWriters = functionDefinitions().filter(([, definition]) => access(definition) === 'write').map(([key]) => key);
    for (const key of fullWriters) expect({ key, denied: credentialDenies(key).length > 0 }).toEqual({ key, denied: true });
    const credentialWriters = functionDefinitions()
      .filter(([, definition]) => JSON.stringify((access(definition) as { leadingKeys?: string[] } | undefined)?.leadingKeys ?? []).includes('CRED#'))
      .map(([key]) => key);
    expect(credentialWriters).toEqual(['consoleAdmin']);
  });

  it('gives the console function no table, queue or key access', () => {
    expect(FUNCTIONS.console.tables).toEqual({});
    const actions = statementsOf('console').flatMap((statement) => [statement.Action].flat());
    expect(actions.filter((action) => /^(dynamodb|sqs|kms):/.test(action))).toEqual([]);
  });

  it('lets the operations API read queue and DLQ depths, nothing more on SQS', () => {
    const sqs = statementsOf('opsApi').filter((statement) => [statement.Action].flat().some((action) => action.startsWith('sqs:')));
    expect([...new Set(sqs.flatMap((statement) => [statement.Action].flat()))].sort()).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl']);
    expect(JSON.stringify(sqs.map((statement) => statement.Resource))).toMatch(/Dlq/);
  });
});
