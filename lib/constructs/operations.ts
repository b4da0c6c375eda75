/**
 * Operations for the deployed hub: alarms (DLQ depth > 0, oldest message age, Lambda errors and
 * throttles, API 5xx, DynamoDB throttles, AB Tasty refusing a push) wired to an SNS topic, and one
 * CloudWatch dashboard.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { QueueKey } from '../../functions/shared/definitions/queues';
import { METRICS, METRIC_NAMESPACE, SERVICE_NAME, type MetricName } from '../../functions/shared/metric-names';
import type { HubQueues } from '../stateful-stack';
import type { StageConfig } from '../stage-config';

export interface OperationsProps {
  readonly config: StageConfig;
  readonly api: RestApi;
  readonly functions: Record<string, NodejsFunction>;
  readonly queues: Record<QueueKey, HubQueues>;
  readonly tables: Record<string, ITableV2>;
  /** The flood guard's web ACL: any request it refuses raises an alarm (an attack, or a partner above its documented peak). */
  readonly webAclName?: string;
  /** Failure destinations of stream consumers, by function key (alarmed like DLQs). */
  readonly streamFailures?: Record<string, IQueue>;
}

/** Oldest-message age beyond which a worker is considered stuck (seconds). */
export const OLDEST_MESSAGE_ALARM_SECONDS = 900;

/** Period of every alarm and of the dashboard's AWS metrics. */
const PERIOD = Duration.minutes(1);

/** One of the hub's own metrics (emitted by the functions), summed per 5 minutes. */
const hubMetric = (metricName: MetricName, label: string) =>
  new Metric({ namespace: METRIC_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, period: Duration.minutes(5), statistic: 'Sum', label });

export class Operations extends Construct {
  readonly topic: ITopic;
  readonly alarms: Alarm[] = [];
  private readonly action: SnsAction;
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.prefix = props.config.prefix;
    this.topic = this.alarmTopic(props.config);
    this.action = new SnsAction(this.topic);
    this.resourceAlarms(props);
    const dynamoThrottles = this.dynamoThrottles(props.tables);
    this.alarm('dynamodb-throttles', dynamoThrottles, 0, 'DynamoDB throttled requests on hub tables');
    if (props.webAclName) this.alarm('api-rate-limited', this.wafBlocked(props.webAclName), 0, 'The WAF flood guard refused requests with 429: see docs/operations.md');
    this.alarm('abtasty-delivery-failed', hubMetric(METRICS.abTastyDeliveryFailed, 'refused pushes'), 0, 'AB Tasty refused a push (4xx): its answer is in the delivery report');
    this.alarm('webhook-post-rejected', hubMetric(METRICS.webhookPostRejected, 'rejected webhook POSTs'), 0, 'A change webhook receiver refused a POST (4xx): see GET /v1/destinations/webhook/deliveries');
    this.dashboard(props, dynamoThrottles);
  }

  /**
   * The stage's alarm topic if it names one (its key policy is then the owner's business), else a new
   * topic encrypted with a key CloudWatch may use: without that grant CloudWatch cannot publish to an
   * encrypted topic and every alarm stays silent.
   */
  private alarmTopic(config: StageConfig): ITopic {
    if (config.alarmTopicArn) return Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn);
    const key = new Key(this, 'AlarmTopicKey', { enableKeyRotation: true, description: 'Encrypts the alarm topic' });
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        // Only CloudWatch acting for this account's alarms (confused-deputy guard).
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    const topic = new Topic(this, 'AlarmTopic', { displayName: `Audience hub ${config.stage} alarms`, enforceSSL: true, masterKey: key });
    if (config.alarmEmail) topic.addSubscription(new EmailSubscription(config.alarmEmail));
    return topic;
  }

  /** An alarm above `threshold` for one period, notifying the topic on alarm and on recovery. */
  private alarm(name: string, metric: IMetric, threshold: number, description: string): Alarm {
    const created = new Alarm(this, name, {
      alarmName: `${this.prefix}-${name}`,
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    created.addAlarmAction(this.action);
    created.addOkAction(this.action);
    this.alarms.push(created);
    return created;
  }

  /** Per queue: DLQ depth and oldest message age; per function: errors and throttles; the API's 5xx. */
  private resourceAlarms(props: OperationsProps): void {
    for (const [key, { queue, dlq }] of Object.entries(props.queues)) {
      this.alarm(`${key}-dlq-depth`, dlq.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }), 0, `Messages in the ${key} DLQ: inspect with npm run admin -- dlq list, then redrive`);
      this.alarm(`${key}-oldest-message`, queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' }), OLDEST_MESSAGE_ALARM_SECONDS, `The ${key} worker is falling behind`);
    }
    for (const [key, fn] of Object.entries(props.functions)) {
      this.alarm(`${key}-errors`, fn.metricErrors({ period: PERIOD, statistic: 'Sum' }), 0, `${key} Lambda errors`);
      this.alarm(`${key}-throttles`, fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }), 0, `${key} Lambda throttles`);
    }
    for (const [key, failures] of Object.entries(props.streamFailures ?? {})) {
      this.alarm(`${key}-stream-failures`, failures.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }), 0, `Stream batches ${key} gave up on: the history misses them until replayed`);
      this.alarm(`${key}-iterator-age`, props.functions[key]!.metric('IteratorAge', { period: PERIOD, statistic: 'Maximum' }), 15 * 60 * 1000, `${key} is falling behind its stream`);
    }
    this.alarm('api-5xx', props.api.metricServerError({ period: PERIOD, statistic: 'Sum' }), 0, 'API Gateway 5xx answers');
  }

  /** Requests the web ACL blocked (every rule), per minute. */
  private wafBlocked(webAclName: string): Metric {
    return new Metric({
      namespace: 'AWS/WAFV2',
      metricName: 'BlockedRequests',
      dimensionsMap: { WebACL: webAclName, Region: Stack.of(this).region, Rule: 'ALL' },
      period: PERIOD,
      statistic: 'Sum',
      label: 'requests refused by the flood guard',
    });
  }

  /** Throttled requests summed over every hub table. */
  private dynamoThrottles(tables: Record<string, ITableV2>): MathExpression {
    const throttles = Object.values(tables).map(
      (table, index) =>
        [`t${index}`, new Metric({ namespace: 'AWS/DynamoDB', metricName: 'ThrottledRequests', dimensionsMap: { TableName: table.tableName }, period: PERIOD, statistic: 'Sum' })] as const,
    );
    return new MathExpression({
      expression: throttles.map(([name]) => name).join(' + '),
      usingMetrics: Object.fromEntries(throttles),
      label: 'DynamoDB throttled requests',
      period: PERIOD,
    });
  }

  /** One dashboard: API, queues, Lambda, DynamoDB, and the hub's own metrics (names from metric-names.ts). */
  private dashboard(props: OperationsProps, dynamoThrottles: MathExpression): void {
    const period = PERIOD;
    const queues = Object.values(props.queues);
    const functions = Object.values(props.functions);
    const dashboard = new Dashboard(this, 'Dashboard', { dashboardName: `${this.prefix}-operations` });
    dashboard.addWidgets(
      new GraphWidget({ title: 'API requests', left: [props.api.metricCount({ period })], right: [props.api.metricClientError({ period }), props.api.metricServerError({ period })], width: 12 }),
      new GraphWidget({ title: 'API latency p99', left: [props.api.metricLatency({ period, statistic: 'p99' })], width: 12 }),
    );
    dashboard.addWidgets(
      new GraphWidget({ title: 'Queue depth', left: queues.map((q) => q.queue.metricApproximateNumberOfMessagesVisible({ period })), width: 8 }),
      new GraphWidget({ title: 'Oldest message age (s)', left: queues.map((q) => q.queue.metricApproximateAgeOfOldestMessage({ period })), width: 8 }),
      new GraphWidget({ title: 'DLQ depth', left: queues.map((q) => q.dlq.metricApproximateNumberOfMessagesVisible({ period })), width: 8 }),
    );
    dashboard.addWidgets(
      new GraphWidget({ title: 'Lambda errors', left: functions.map((fn) => fn.metricErrors({ period })), width: 8 }),
      new GraphWidget({ title: 'Lambda throttles', left: functions.map((fn) => fn.metricThrottles({ period })), width: 8 }),
      new GraphWidget({ title: 'DynamoDB throttles', left: [dynamoThrottles], width: 8 }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Cohort identifiers matched / unmatched',
        left: [hubMetric(METRICS.cohortIdentifiersMatched, 'matched'), hubMetric(METRICS.cohortIdentifiersUnmatched, 'unmatched')],
        width: 12,
      }),
      new GraphWidget({ title: 'Worker record failures', left: [hubMetric(METRICS.recordFailed, 'failed records'), hubMetric(METRICS.poisonMessage, 'poison messages')], width: 12 }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'AB Tasty pushes',
        left: [hubMetric(METRICS.abTastyDelivered, 'delivered'), hubMetric(METRICS.abTastyDeliveryFailed, 'refused'), hubMetric(METRICS.abTastyDeliveryExhausted, 'retries exhausted')],
        width: 24,
      }),
    );
  }
}
