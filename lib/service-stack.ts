/**
 * Service: the REST API with every route of the route table (definitions/routes.ts), one Lambda per handler,
 * SQS event sources for the workers, operations (alarms, dashboard) and the analyst export schedule.
 */
import { CfnOutput, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
  type IResource,
} from 'aws-cdk-lib/aws-apigateway';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { SEGMENT_EXPORT_PREFIX } from '../functions/shared/definitions/buckets';
import { functionDefinitions } from '../functions/shared/definitions/functions';
import { ROUTES, routesOf, type RouteDefinition } from '../functions/shared/definitions/routes';
import { importBucketArn, nagArn } from './constructs/braze-import';
import { FloodGuard } from './constructs/flood-guard';
import { HubFunction } from './constructs/hub-function';
import { Operations } from './constructs/operations';
import type { StatefulStack } from './stateful-stack';
import type { StageConfig } from './stage-config';

/** EventBridge Scheduler replaces this keyword in a target's input with the invocation's scheduled time (ISO 8601). */
const SCHEDULED_TIME = '<aws.scheduler.scheduled-time>';

export interface ServiceStackProps extends StackProps {
  readonly config: StageConfig;
  readonly stateful: StatefulStack;
  /** The route table the API exposes; tests pass an extended copy. */
  readonly routes?: readonly RouteDefinition[];
}

export class ServiceStack extends Stack {
  readonly api: RestApi;
  readonly functions: Record<string, NodejsFunction> = {};
  readonly streamFailures: Record<string, IQueue> = {};
  readonly operations: Operations;
  readonly floodGuard: FloodGuard;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { config, stateful } = props;

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: config.logRetention });
    this.api = new RestApi(this, 'Api', {
      restApiName: `${config.prefix}-api`,
      description: 'Audience hub: Braze cohort import, Braze Currents, Heap segment sync, AB Tasty pull, read API',
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: true,
      deployOptions: {
        stageName: config.stage,
        throttlingRateLimit: config.apiThrottle.rateLimit,
        throttlingBurstLimit: config.apiThrottle.burstLimit,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.ERROR,
        metricsEnabled: true,
        // Never log request bodies: they carry partner credentials.
        dataTraceEnabled: false,
      },
    });

    for (const [key, definition] of functionDefinitions()) {
      const hubFunction = new HubFunction(this, `${key}Fn`, {
        key,
        definition,
        config,
        tables: stateful.tables,
        queues: stateful.queues,
        secretsKey: stateful.secretsKey,
        changeEvents: stateful.changeEvents,
      });
      this.functions[key] = hubFunction.fn;
      if (hubFunction.streamFailures) this.streamFailures[key] = hubFunction.streamFailures;
      this.exposeRoutes(hubFunction.fn, routesOf(key, props.routes ?? ROUTES));
    }

    // Per-IP rate limits on the stage, answering 429 + Retry-After (docs/operations.md).
    this.floodGuard = new FloodGuard(this, 'FloodGuard', { config, api: this.api, routes: props.routes ?? ROUTES });

    this.scheduleAbTastyRefresh(config, stateful);
    this.wireBrazeExport(config);

    this.operations = new Operations(this, 'Operations', {
      config,
      api: this.api,
      functions: this.functions,
      queues: stateful.queues,
      tables: stateful.tables,
      webAclName: this.floodGuard.webAclName,
      streamFailures: this.streamFailures,
    });

    const base = this.api.url;
    new CfnOutput(this, 'ApiUrl', { value: base });
    new CfnOutput(this, 'CohortImportBaseUrl', { value: `${base}partners/<partner>`, description: 'Braze cohort import base: paste the API URL (without /partners) into Heap/Mixpanel as the Braze REST endpoint (Segment cannot: see SegmentAudiencesUrl)' });
    new CfnOutput(this, 'CurrentsUrl', { value: `${base}currents`, description: "Braze Currents Custom HTTP connector URL (bearer token: the workspace's currentsToken)" });
    new CfnOutput(this, 'SegmentAudiencesUrl', { value: `${base}segment/audiences/<workspaceId>`, description: "Segment Webhooks (Actions) mapping URL for Engage audiences: replace <workspaceId>; header Authorization: Bearer <segmentToken>" });
    new CfnOutput(this, 'HeapWebhookUrl', { value: `${base}heap/segments/<workspaceId>`, description: "Heap Developer Hub webhook URL: replace <workspaceId>" });
    new CfnOutput(this, 'AbTastyPullBaseUrl', { value: `${base}abtasty`, description: "AB Tasty pull API base (bearer token: the workspace's abTastyToken)" });
    new CfnOutput(this, 'SecretsKeyArn', { value: stateful.secretsKey.keyArn, description: 'Set HUB_SECRET_KMS_KEY_ID to this for the admin CLI' });
    for (const [key, table] of Object.entries(stateful.tables)) new CfnOutput(this, `${key}TableName`, { value: table.tableName });

    this.acknowledgeFindings();
  }

  /** Adds each route (from the route table) as a method of the API, integrated with its function's Lambda. */
  private exposeRoutes(fn: NodejsFunction, routes: readonly RouteDefinition[]) {
    const integration = new LambdaIntegration(fn, { proxy: true });
    for (const route of routes) {
      const resource = route.path
        .split('/')
        .filter(Boolean)
        .reduce<IResource>((parent, part) => parent.getResource(part) ?? parent.addResource(part), this.api.root);
      resource.addMethod(route.method, integration);
    }
  }

  /**
   * The AB Tasty refresh: EventBridge Scheduler sends the sweep message (its scheduled time filled in
   * by Scheduler) to the delivery queue, whose worker asks for a push of every configured workspace.
   */
  private scheduleAbTastyRefresh(config: StageConfig, stateful: StatefulStack) {
    const { queue } = stateful.queues.abTastyDelivery;
    const role = new Role(this, 'AbTastyRefreshSchedulerRole', { assumedBy: new ServicePrincipal('scheduler.amazonaws.com') });
    queue.grantSendMessages(role);
    new CfnSchedule(this, 'AbTastyRefreshSchedule', {
      name: `${config.prefix}-abtasty-refresh`,
      description: 'Re-pushes every configured workspace to AB Tasty, well inside its 30-day retention',
      scheduleExpression: config.abTastyRefreshSchedule,
      flexibleTimeWindow: { mode: 'FLEXIBLE', maximumWindowInMinutes: 60 },
      target: {
        arn: queue.queueArn,
        roleArn: role.roleArn,
        // The abTastySweepMessageSchema shape (functions/schemas/abtasty-delivery.ts; the infra test parses it).
        input: JSON.stringify({ type: 'sweep', dedupeKey: `abtasty-sweep#${SCHEDULED_TIME}`, scheduledAt: SCHEDULED_TIME }),
        retryPolicy: { maximumRetryAttempts: 10 },
      },
    });
  }

  /**
   * Braze export (docs/braze-export.md): the worker reads and tags objects under `segment-export/` of
   * the import bucket, nothing else of it; EventBridge Scheduler invokes the requester on its schedule.
   */
  private wireBrazeExport(config: StageConfig) {
    const worker = this.functions.brazeExportWorker;
    const requester = this.functions.brazeExportRequester;
    if (!worker || !requester) throw new Error('the Braze export functions are missing from the function definitions');
    // The ARN by its fixed name (constructs/braze-import.ts): no cross-stack reference to the bucket.
    const objects = importBucketArn(config.prefix, `${SEGMENT_EXPORT_PREFIX}*`);
    worker.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['s3:GetObject', 's3:PutObjectTagging'], resources: [objects] }));
    const role = new Role(this, 'BrazeExportSchedulerRole', { assumedBy: new ServicePrincipal('scheduler.amazonaws.com') });
    role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['lambda:InvokeFunction'], resources: [requester.functionArn] }));
    new CfnSchedule(this, 'BrazeExportSchedule', {
      name: `${config.prefix}-braze-export`,
      description: "Asks Braze for the user export of every workspace whose period is up",
      scheduleExpression: config.brazeExportCheckSchedule,
      flexibleTimeWindow: { mode: 'OFF' },
      target: { arn: requester.functionArn, roleArn: role.roleArn, input: '{}', retryPolicy: { maximumRetryAttempts: 2 } },
    });
    Validations.of(worker).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(config.prefix, `${SEGMENT_EXPORT_PREFIX}*`)}]`,
      reason: 'The worker reads (and tags as applied) the export files Braze writes under segment-export/ of the import bucket, whose keys Braze chooses.',
    });
  }

  /** Every cdk-nag finding that stays, with the reason it is acceptable here. */
  private acknowledgeFindings() {
    Validations.of(this.api).acknowledge(
      { id: 'AwsSolutions-APIG2', reason: "Requests are validated in the Lambda with zod, so errors use each partner's exact wording (Braze, Heap)." },
      { id: 'AwsSolutions-APIG4', reason: "Partners authenticate the way their protocol does (Braze keys in the body, Currents/AB Tasty bearer tokens, Heap HMAC); the functions verify these against hashed workspace credentials." },
      { id: 'AwsSolutions-COG4', reason: 'No Cognito: partner protocols bring their own credentials (see APIG4).' },
      { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]', reason: 'The AWS-managed role API Gateway needs to write execution logs to CloudWatch.' },
    );
    Validations.of(this).acknowledge(
      { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: 'Lambda basic execution (CloudWatch Logs only) for each function.' },
    );
  }
}
