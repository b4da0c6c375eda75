/** Change events out (docs/events.md): the stack's bus, and `events:PutEvents` on it for the publishing function only. */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { functionDefinitions } from '../../functions/shared/definitions/functions';
import { ServiceStack } from '../../lib/service-stack';
import { StatefulStack } from '../../lib/stateful-stack';
import { STAGES } from '../../lib/stage-config';

const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const statefulStack = new StatefulStack(app, 'S-events', { config: STAGES.prod });
const serviceStack = new ServiceStack(app, 'V-events', { config: STAGES.prod, stateful: statefulStack });
const stateful = Template.fromStack(statefulStack);
const service = Template.fromStack(serviceStack);

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
const statementsOf = (key: string): Statement[] =>
  Object.values(service.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`${key}Fn`))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
const putEvents = (key: string) => statementsOf(key).filter((statement) => [statement.Action].flat().some((action) => action.startsWith('events:')));

describe('change events infrastructure', () => {
  it('creates the change events bus in the stateful stack', () => {
    stateful.hasResourceProperties('AWS::Events::EventBus', { Name: `${STAGES.prod.prefix}-changes` });
  });

  it('lets only membershipHistory put events, on that bus only, and tells it the bus name', () => {
    const publishers = functionDefinitions().filter(([key]) => putEvents(key).length > 0).map(([key]) => key);
    expect(publishers).toEqual(['membershipHistory']);
    const [statement] = putEvents('membershipHistory');
    expect([statement?.Action].flat()).toEqual(['events:PutEvents']);
    expect(JSON.stringify(statement?.Resource)).toContain('ChangeEvents');
    expect(JSON.stringify(statement?.Resource)).not.toContain('*');
    const fn = Object.values(service.findResources('AWS::Lambda::Function')).find((resource) => resource.Properties.FunctionName === `${STAGES.prod.prefix}-membershipHistory`);
    expect(Object.keys(fn?.Properties.Environment.Variables ?? {})).toContain('CHANGE_EVENT_BUS_NAME');
  });

  it('lets membershipHistory read the users table (external ids of profile members), never write it', () => {
    const onUsers = statementsOf('membershipHistory').filter((statement) => JSON.stringify(statement.Resource).includes('usersTable'));
    const actions = onUsers.flatMap((statement) => [statement.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:BatchGetItem']));
    expect(actions.filter((action) => /Put|Update|Delete|Write/.test(action))).toEqual([]);
  });
});
