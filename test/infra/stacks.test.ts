import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FUNCTIONS, functionDefinitions } from '../../functions/shared/definitions/functions';
import { ROUTES } from '../../functions/shared/definitions/routes';
import { physicalDlqName, physicalQueueName, QUEUES, visibilityTimeoutSeconds, type QueueKey } from '../../functions/shared/definitions/queues';
import { abTastyDeliveryMessageSchema } from '../../functions/schemas/abtasty-delivery';
import { ANALYST_EXPORT_TABLES, TABLES } from '../../functions/shared/definitions/tables';
import { METRICS, METRIC_NAMESPACE, SERVICE_NAME } from '../../functions/shared/metric-names';
import { ServiceStack } from '../../lib/service-stack';
import { StatefulStack } from '../../lib/stateful-stack';
import { STAGES, type StageName } from '../../lib/stage-config';

/** Synthesizes one stage with bundling turned off (no esbuild run: infra tests check wiring only). */
const synth = (stage: StageName) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const config = STAGES[stage];
  const stateful = new StatefulStack(app, `S-${stage}`, { config });
  const service = new ServiceStack(app, `V-${stage}`, { config, stateful });
  return { app, stateful: Template.fromStack(stateful), service: Template.fromStack(service) };
};

describe('stateful stack', () => {
  const prod = synth('prod');
  const dev = synth('dev');

  it('creates every shared table on demand with point-in-time recovery', () => {
    prod.stateful.resourceCountIs('AWS::DynamoDB::GlobalTable', Object.keys(TABLES).length);
    prod.stateful.allResourcesProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      Replicas: Match.arrayWith([Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })]),
    });
  });

  it('retains and deletion-protects tables in prod, destroys them in dev', () => {
    for (const table of Object.values(prod.stateful.findResources('AWS::DynamoDB::GlobalTable'))) {
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.Properties.Replicas[0].DeletionProtectionEnabled).toBe(true);
    }
    for (const table of Object.values(dev.stateful.findResources('AWS::DynamoDB::GlobalTable'))) {
      expect(table.DeletionPolicy).toBe('Delete');
    }
  });

  it('enables TTL on the tables whose records expire', () => {
    for (const table of Object.values(TABLES)) {
      if (!('ttlAttribute' in table)) continue;
      prod.stateful.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        TableName: `hub-prod-${table.name}`,
        TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
      });
    }
  });

  it('gives every queue a DLQ with 14-day retention, 3–5 receives and a visibility ≥ 6× the worker timeout', () => {
    for (const key of Object.keys(QUEUES) as QueueKey[]) {
      const queue = QUEUES[key];
      prod.stateful.hasResourceProperties('AWS::SQS::Queue', { QueueName: physicalDlqName('hub-prod', key), MessageRetentionPeriod: 1_209_600 });
      const main = Object.values(prod.stateful.findResources('AWS::SQS::Queue', { Properties: { QueueName: physicalQueueName('hub-prod', key) } }))[0];
      expect(main?.Properties.RedrivePolicy.maxReceiveCount).toBeGreaterThanOrEqual(3);
      expect(main?.Properties.RedrivePolicy.maxReceiveCount).toBeLessThanOrEqual(5);
      expect(main?.Properties.VisibilityTimeout).toBe(visibilityTimeoutSeconds(queue));
      expect(main?.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * queue.workerTimeoutSeconds);
    }
  });

  it('encrypts queues and refuses non-TLS access to them', () => {
    prod.stateful.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    prod.stateful.resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: Match.objectLike({
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        }),
      },
      Object.keys(QUEUES).length * 2,
    );
  });

  it('schedules a daily DynamoDB export of every analyst table (never workspaces) to the encrypted export bucket', () => {
    const schedules = prod.stateful.findResources('AWS::Scheduler::Schedule');
    // Input is a CloudFormation Fn::Join (it embeds the table and bucket ARNs): read it as text.
    const exported = Object.values(schedules).map((s) => JSON.stringify(s.Properties.Target.Input));
    expect(exported).toHaveLength(ANALYST_EXPORT_TABLES.length);
    expect(exported.every((input) => input.includes('DYNAMODB_JSON') && input.includes('exports/'))).toBe(true);
    expect(exported.some((input) => input.includes('idempotency'))).toBe(false);
    for (const schedule of Object.values(schedules)) {
      expect(schedule.Properties.Target.Arn).toBe('arn:aws:scheduler:::aws-sdk:dynamodb:exportTableToPointInTime');
    }
    dev.stateful.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 day)' });
    prod.stateful.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: Match.anyValue(),
      LifecycleConfiguration: Match.anyValue(),
      LoggingConfiguration: Match.anyValue(),
    });
  });
});

describe('service stack', () => {
  const { service, stateful: statefulTemplate } = synth('prod');

  it('runs every handler on nodejs24.x, ARM64, with an explicit log group', () => {
    service.resourceCountIs('AWS::Lambda::Function', Object.keys(FUNCTIONS).length);
    service.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      LoggingConfig: Match.objectLike({ LogGroup: Match.anyValue() }),
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'audience-hub' }) },
    });
  });

  it('gives each function the settings its runtime reads, and the KMS key only to the webhook that decrypts', () => {
    const byName = (name: string) =>
      Object.values(service.findResources('AWS::Lambda::Function', { Properties: { FunctionName: `hub-prod-${name}` } }))[0]?.Properties.Environment.Variables;
    expect(byName('cohortIngest')).toMatchObject({ COHORT_IMPORT_RATE_LIMIT: '250000', COHORT_IMPORT_RATE_WINDOW_SECONDS: '3600' });
    expect(byName('heapWebhook')).toMatchObject({ HEAP_TIMESTAMP_TOLERANCE_SECONDS: '300', HEAP_FUTURE_TOLERANCE_SECONDS: '60', SECRET_KMS_KEY_ID: expect.anything() });
    for (const [key, definition] of functionDefinitions()) {
      const variables = byName(key);
      expect(Boolean(variables.SECRET_KMS_KEY_ID)).toBe(Boolean(definition.decryptsSecrets));
      for (const table of Object.keys(definition.tables)) expect(variables[TABLES[table as keyof typeof TABLES].envVar]).toBeDefined();
    }
  });

  it('exposes every route of the route table on the API', () => {
    const methods = Object.values(service.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties.HttpMethod as string);
    const routes = ROUTES;
    expect(methods.length).toBe(routes.length);
    for (const route of routes) {
      const last = route.path.split('/').filter(Boolean).at(-1);
      service.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: last });
    }
  });

  it('throttles the API stage and writes access logs without request bodies', () => {
    service.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: STAGES.prod.apiThrottle.rateLimit, DataTraceEnabled: false })]),
    });
  });

  it('consumes each queue with ReportBatchItemFailures and a maxConcurrency cap', () => {
    const workers = functionDefinitions().filter(([, d]) => d.consumes);
    const mappings = Object.values(service.findResources('AWS::Lambda::EventSourceMapping')).filter((mapping) => mapping.Properties.StartingPosition === undefined);
    expect(mappings).toHaveLength(workers.length);
    for (const mapping of mappings) {
      expect(mapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(mapping.Properties.ScalingConfig.MaximumConcurrency).toBeGreaterThanOrEqual(2);
    }
  });

  it("feeds the membership history from the cohorts table's stream: retried, bisected, failures to an alarmed queue", () => {
    statefulTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TableName: 'hub-prod-cohorts', StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } });
    service.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    service.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: Match.stringLikeRegexp('membershipHistory-stream-failures') });
  });

  it('grants the health function read-only table actions and only GetQueueAttributes on queues', () => {
    const policies = Object.values(service.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes('healthFn'),
    );
    const actions = policies.flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => [s.Action].flat()));
    expect(actions).toContain('dynamodb:GetItem');
    expect(actions.filter((a: string) => /Put|Update|Delete|Write|SendMessage/.test(a))).toEqual([]);
    expect([...new Set(actions.filter((a: string) => a.startsWith('sqs:')))]).toEqual(['sqs:GetQueueAttributes']);
  });

  it('gives the AB Tasty worker least privilege: reads, Scan on the workspaces table only, its own queue, the secrets key to decrypt', () => {
    const statements = Object.values(service.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('abTastyWorkerFn'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const withAction = (action: string) => statements.filter((statement) => [statement.Action].flat().includes(action));
    const resources = (action: string) => JSON.stringify(withAction(action).map((statement) => statement.Resource));

    expect(withAction('dynamodb:Scan')).toHaveLength(1);
    expect(resources('dynamodb:Scan')).toContain('workspacesTable');
    expect(resources('dynamodb:Scan')).not.toMatch(/cohortsTable|idempotencyTable|index/);
    // Writes only to the idempotency table (processed messages, the per-partner lease).
    expect(resources('dynamodb:PutItem')).toContain('idempotencyTable');
    expect(resources('dynamodb:PutItem')).not.toMatch(/workspacesTable|cohortsTable/);
    expect(resources('sqs:SendMessage')).toContain('abTastyDeliveryQueue');
    expect(withAction('kms:Decrypt')).toHaveLength(1);
    expect(withAction('kms:Encrypt')).toHaveLength(0);
  });

  it('lets the heap worker ask for AB Tasty pushes (send to the delivery queue)', () => {
    const sends = Object.values(service.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('heapWorkerFn'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
      .filter((statement) => [statement.Action].flat().includes('sqs:SendMessage'));

    expect(JSON.stringify(sends)).toContain('abTastyDeliveryQueue');
  });

  it('schedules the AB Tasty refresh sweep into the delivery queue, daily, with the shape the worker parses', () => {
    const [schedule, ...others] = Object.values(service.findResources('AWS::Scheduler::Schedule', { Properties: { Name: 'hub-prod-abtasty-refresh' } }));
    const input = (schedule?.Properties.Target.Input as string).replaceAll('<aws.scheduler.scheduled-time>', '2026-11-25T04:00:00Z');

    expect(others).toEqual([]);
    expect(schedule?.Properties.ScheduleExpression).toBe(STAGES.prod.abTastyRefreshSchedule);
    expect(JSON.stringify(schedule?.Properties.Target.Arn)).toContain('abTastyDeliveryQueue');
    expect(abTastyDeliveryMessageSchema.parse(JSON.parse(input))).toEqual({ type: 'sweep', dedupeKey: 'abtasty-sweep#2026-11-25T04:00:00Z', scheduledAt: '2026-11-25T04:00:00Z' });
    const role = Object.values(service.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes('AbTastyRefreshSchedulerRole'));
    expect(JSON.stringify(role)).toContain('sqs:SendMessage');
  });

  it('alarms on DLQ depth, oldest message age, Lambda errors and throttles, and API 5xx', () => {
    const alarms = Object.values(service.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName as string);
    for (const queue of Object.keys(QUEUES)) {
      expect(alarms).toContain(`hub-prod-${queue}-dlq-depth`);
      expect(alarms).toContain(`hub-prod-${queue}-oldest-message`);
    }
    for (const fn of Object.keys(FUNCTIONS)) {
      expect(alarms).toContain(`hub-prod-${fn}-errors`);
      expect(alarms).toContain(`hub-prod-${fn}-throttles`);
    }
    expect(alarms).toContain('hub-prod-api-5xx');
    expect(alarms).toContain('hub-prod-abtasty-delivery-failed');
    service.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [Match.anyValue()] });
    service.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('dashboard metrics', () => {
  const { service } = synth('prod');
  /** The dashboard body with CloudFormation tokens (table names, regions) replaced by `?`. */
  const dashboardBody = (): string => {
    const [dashboard] = Object.values(service.findResources('AWS::CloudWatch::Dashboard'));
    const body = dashboard?.Properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
    return typeof body === 'string' ? body : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : '?')).join(body['Fn::Join'][0]);
  };
  /** Every `*.ts` file under functions/, with its text. */
  const sources = (dir = join(__dirname, '..', '..', 'functions')): { file: string; text: string }[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sources(path);
      return entry.name.endsWith('.ts') ? [{ file: path, text: readFileSync(path, 'utf8') }] : [];
    });

  it('charts only custom metrics that an emitter emits: names from METRICS, namespace and service dimension as Powertools sets them', () => {
    const charted = [...dashboardBody().matchAll(/\["([^"]+)","([^"]+)","service","([^"]+)"/g)].map(([, namespace, name, serviceName]) => ({ namespace, name, serviceName }));
    const emitted = sources().filter(({ text }) => text.includes('metrics.addMetric('));
    const emittedNames = Object.entries(METRICS)
      .filter(([key]) => emitted.some(({ text }) => new RegExp(`metrics\\.addMetric\\([^;]*METRICS\\.${key}\\b`).test(text)))
      .map(([, name]) => name);

    expect(charted.length).toBeGreaterThan(0);
    for (const metric of charted) expect(metric).toEqual({ namespace: METRIC_NAMESPACE, name: expect.any(String), serviceName: SERVICE_NAME });
    expect(emittedNames).toEqual(expect.arrayContaining(charted.map((metric) => metric.name)));
    expect(charted.map((metric) => metric.name)).toEqual(expect.arrayContaining(['CohortIdentifiersMatched', 'CohortIdentifiersUnmatched']));
  });

  it('has every emitter name its metric through functions/shared/metric-names.ts, never a string literal', () => {
    const literal = sources().filter(({ text }) => /addMetric\(\s*['"`]/.test(text)).map(({ file }) => file);

    expect(literal).toEqual([]);
    // Every constant is emitted somewhere (a stale constant would let a chart name a dead metric).
    const all = sources().map(({ text }) => text).join('\n');
    for (const key of Object.keys(METRICS)) expect(all).toMatch(new RegExp(`addMetric\\([^;]*METRICS\\.${key}\\b`));
  });
});

describe('cdk-nag', () => {
  it('reports no unacknowledged AwsSolutions finding for either stage', () => {
    for (const stage of ['dev', 'prod'] as const) {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stateful = new StatefulStack(app, `S-${stage}`, { config: STAGES[stage] });
      new ServiceStack(app, `V-${stage}`, { config: STAGES[stage], stateful });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      expect(() => app.synth()).not.toThrow();
    }
  });
});
