/**
 * Operations and security wiring (issue 15): alarms that can reach someone, a flood guard that answers
 * 429 + Retry-After, and a smaller blast radius for the functions the internet can reach.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FUNCTIONS } from '../../functions/shared/definitions/functions';
import { ROUTES } from '../../functions/shared/definitions/routes';
import { ANALYST_EXPORT_TABLES } from '../../functions/shared/definitions/tables';
import { pathRegex } from '../../lib/constructs/flood-guard';
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
const FUNCTIONS_WITH_DECRYPT = Object.entries(FUNCTIONS).filter(([, definition]) => 'decryptsSecrets' in definition).map(([key]) => key);

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

describe('blast radius of the functions the internet reaches', () => {
  const { service, stateful } = synth(STAGES.prod);
  // The console's admin function is the one routed function that writes credential items (issue 18):
  // checked on its own below, scoped to the credential index and workspace records.
  const internetFacing = [...new Set(ROUTES.map((route) => route.function))].filter((fn) => fn !== 'consoleAdmin');
  const statementsOf = (fn: string): Statement[] =>
    Object.values(service.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`${fn}Fn`))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
  const on = (table: string) => (statement: Statement) => JSON.stringify(statement.Resource).includes(`${table}Table`);
  const writes = (statement: Statement) => actionsOf(statement).some((action) => /^dynamodb:(PutItem|DeleteItem|BatchWriteItem|UpdateItem|\*)$/.test(action));

  it('covers every routed function', () => {
    expect(internetFacing).toEqual(expect.arrayContaining(['cohortIngest', 'heapWebhook', 'currentsIngest', 'segmentIngest', 'health']));
  });

  it('gives none of them PutItem, DeleteItem or BatchWriteItem on the workspaces table', () => {
    for (const fn of internetFacing) {
      const forbidden = statementsOf(fn)
        .filter(on('workspaces'))
        .flatMap(actionsOf)
        .filter((action) => /^dynamodb:(PutItem|DeleteItem|BatchWriteItem|\*)$/.test(action));
      expect({ fn, forbidden }).toEqual({ fn, forbidden: [] });
    }
  });

  it('lets them write the workspaces and idempotency tables only with a dynamodb:LeadingKeys condition', () => {
    for (const fn of internetFacing) {
      for (const table of ['workspaces', 'idempotency']) {
        for (const statement of statementsOf(fn).filter(on(table)).filter(writes)) {
          expect({ fn, table, actions: actionsOf(statement) }).toEqual({ fn, table, actions: ['dynamodb:UpdateItem'] });
          expect(statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']).toEqual(expect.any(Array));
        }
      }
    }
    expect(statementsOf('cohortIngest').filter(on('workspaces')).filter(writes)).toHaveLength(1);
  });

  it('lets the console admin function write only credential index entries and workspace records', () => {
    const grants = statementsOf('consoleAdmin').filter(on('workspaces')).filter(writes);
    expect(grants).toHaveLength(1);
    expect(actionsOf(grants[0]!).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(grants[0]!.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']).toEqual(['CRED#*', 'WS#*']);
  });

  it('conditions every kms:Decrypt grant on the encryption context', () => {
    const decrypts = FUNCTIONS_WITH_DECRYPT.flatMap((fn) => statementsOf(fn).filter((statement) => actionsOf(statement).includes('kms:Decrypt')));
    expect(decrypts.length).toBe(FUNCTIONS_WITH_DECRYPT.length);
    for (const statement of decrypts) {
      expect(statement.Condition?.StringEquals?.['kms:EncryptionContext:purpose']).toEqual(expect.any(Array));
      expect(statement.Condition?.Null?.['kms:EncryptionContext:workspaceId']).toBe('false');
    }
  });

  it('never exports the workspaces (or idempotency) table to the analyst bucket', () => {
    const inputs = Object.values(stateful.findResources('AWS::Scheduler::Schedule')).map((schedule) => JSON.stringify(schedule.Properties.Target.Input));
    expect(inputs).toHaveLength(ANALYST_EXPORT_TABLES.length);
    expect(inputs.filter((input) => /workspacesTable|idempotencyTable/.test(input))).toEqual([]);
    const role = Object.values(stateful.findResources('AWS::IAM::Policy')).filter((policy) => JSON.stringify(policy.Properties.Roles).includes('ExportSchedulerRole'));
    expect(JSON.stringify(role)).not.toMatch(/workspacesTable|idempotencyTable/);
  });
});

describe('flood guard', () => {
  const { service } = synth(STAGES.prod);
  const [acl] = Object.values(service.findResources('AWS::WAFv2::WebACL'));
  const rules = acl?.Properties.Rules as { Name: string; Statement: { RateBasedStatement?: { Limit: number; AggregateKeyType: string } }; Action: { Block?: { CustomResponse?: { ResponseCode: number; CustomResponseBodyKey: string; ResponseHeaders: { Name: string; Value: string }[] } } } }[];

  it('is a regional web ACL whose rate-based rules block with a JSON 429 and Retry-After, never the default 403', () => {
    expect(acl?.Properties.Scope).toBe('REGIONAL');
    const rateRules = rules.filter((rule) => rule.Statement.RateBasedStatement);
    expect(rateRules.length).toBeGreaterThanOrEqual(6);
    for (const rule of rateRules) {
      const response = rule.Action.Block?.CustomResponse;
      expect(response?.ResponseCode).toBe(429);
      expect(response?.ResponseHeaders).toEqual([{ Name: 'Retry-After', Value: String(STAGES.prod.floodGuard.windowSeconds) }]);
      const body = acl?.Properties.CustomResponseBodies[response?.CustomResponseBodyKey ?? ''];
      expect(body.ContentType).toBe('APPLICATION_JSON');
      expect(JSON.parse(body.Content)).toEqual({ message: expect.any(String), errors: [expect.stringContaining('retry after')] });
      expect(rule.Statement.RateBasedStatement?.AggregateKeyType).toBe('IP');
    }
  });

  it('limits per route class with the stage numbers, each at least the partner peak it must survive', () => {
    const limit = (name: string) => rules.find((rule) => rule.Name === `rate-${name}`)?.Statement.RateBasedStatement?.Limit;
    const { perIp, perIpAll, windowSeconds } = STAGES.prod.floodGuard;
    for (const [name, value] of Object.entries(perIp)) expect(limit(name)).toBe(value);
    expect(limit('all')).toBe(perIpAll);
    // Braze's documented cohort import limit, 250,000 requests/hour, spread over the window.
    expect(perIp.cohortImport).toBeGreaterThanOrEqual((250_000 * windowSeconds) / 3600);
  });

  it('is associated with the API stage', () => {
    const [association] = Object.values(service.findResources('AWS::WAFv2::WebACLAssociation'));
    const arn = JSON.stringify(association?.Properties.ResourceArn);
    expect(arn).toContain('/restapis/');
    const [stageId] = Object.keys(service.findResources('AWS::ApiGateway::Stage'));
    expect(arn).toContain(`"/stages/",{"Ref":"${stageId}"}`);
    expect(JSON.stringify(association?.Properties.WebACLArn)).toContain('FloodGuardWebAcl');
  });

  it('puts each route under the rule of its class (a path regex per function, anchored at the end)', () => {
    expect(pathRegex(['/partners/{partner}/cohorts', '/partners/{partner}/cohorts/users'])).toBe('(/partners/[^/]+/cohorts|/partners/[^/]+/cohorts/users)$');
    const regexes = JSON.stringify(rules.find((rule) => rule.Name === 'rate-currents'));
    expect(regexes).toContain('(/currents)$');
  });
});

describe('reserved concurrency', () => {
  it('is off unless the stage opts in', () => {
    const { service } = synth(STAGES.prod);
    const reserved = Object.values(service.findResources('AWS::Lambda::Function')).filter((fn) => fn.Properties.ReservedConcurrentExecutions !== undefined);
    expect(reserved).toEqual([]);
    const { service: optedIn } = synth({ ...STAGES.prod, reservedConcurrency: { currentsIngest: 50 } });
    optedIn.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'hub-prod-currentsIngest', ReservedConcurrentExecutions: 50 });
  });
});
