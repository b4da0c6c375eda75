/**
 * Operations for the deployed hub: alarms (DLQ depth > 0, oldest message age, Lambda errors and
 * throttles, API 5xx, DynamoDB throttles) wired to an SNS topic, and one CloudWatch dashboard.
 */
import { Duration } from 'aws-cdk-lib';
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
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
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
}

/** Oldest-message age beyond which a worker is considered stuck (seconds). */
export const OLDEST_MESSAGE_ALARM_SECONDS = 900;

export class Operations extends Construct {
  readonly topic: ITopic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const { config } = props;
    if (config.alarmTopicArn) {
      this.topic = Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn);
    } else {
      const topic = new Topic(this, 'AlarmTopic', {
        displayName: `Audience hub ${config.stage} alarms`,
        enforceSSL: true,
        masterKey: new Key(this, 'AlarmTopicKey', { enableKeyRotation: true, description: 'Encrypts the alarm topic' }),
      });
      if (config.alarmEmail) topic.addSubscription(new EmailSubscription(config.alarmEmail));
      this.topic = topic;
    }
    const action = new SnsAction(this.topic);
    const alarm = (name: string, metric: IMetric, threshold: number, description: string) => {
      const created = new Alarm(this, name, {
        alarmName: `${config.prefix}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };

    const period = Duration.minutes(1);
    for (const [key, { queue, dlq }] of Object.entries(props.queues)) {
      alarm(`${key}-dlq-depth`, dlq.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }), 0, `Messages in the ${key} DLQ: inspect with npm run admin -- dlq list, then redrive`);
      alarm(`${key}-oldest-message`, queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }), OLDEST_MESSAGE_ALARM_SECONDS, `The ${key} worker is falling behind`);
    }
    for (const [key, fn] of Object.entries(props.functions)) {
      alarm(`${key}-errors`, fn.metricErrors({ period, statistic: 'Sum' }), 0, `${key} Lambda errors`);
      alarm(`${key}-throttles`, fn.metricThrottles({ period, statistic: 'Sum' }), 0, `${key} Lambda throttles`);
    }
    alarm('api-5xx', props.api.metricServerError({ period, statistic: 'Sum' }), 0, 'API Gateway 5xx answers');
    const throttles = Object.values(props.tables).map(
      (table, index) =>
        [`t${index}`, new Metric({ namespace: 'AWS/DynamoDB', metricName: 'ThrottledRequests', dimensionsMap: { TableName: table.tableName }, period, statistic: 'Sum' })] as const,
    );
    const dynamoThrottles = new MathExpression({
      expression: throttles.map(([name]) => name).join(' + '),
      usingMetrics: Object.fromEntries(throttles),
      label: 'DynamoDB throttled requests',
      period,
    });
    alarm('dynamodb-throttles', dynamoThrottles, 0, 'DynamoDB throttled requests on hub tables');

    const hubMetric = (metricName: MetricName, label: string) =>
      new Metric({ namespace: METRIC_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, period: Duration.minutes(5), statistic: 'Sum', label });
    const dashboard = new Dashboard(this, 'Dashboard', { dashboardName: `${config.prefix}-operations` });
    dashboard.addWidgets(
      new GraphWidget({ title: 'API requests', left: [props.api.metricCount({ period })], right: [props.api.metricClientError({ period }), props.api.metricServerError({ period })], width: 12 }),
      new GraphWidget({ title: 'API latency p99', left: [props.api.metricLatency({ period, statistic: 'p99' })], width: 12 }),
    );
    dashboard.addWidgets(
      new GraphWidget({ title: 'Queue depth', left: Object.entries(props.queues).map(([, q]) => q.queue.metricApproximateNumberOfMessagesVisible({ period })), width: 8 }),
      new GraphWidget({ title: 'Oldest message age (s)', left: Object.entries(props.queues).map(([, q]) => q.queue.metricApproximateAgeOfOldestMessage({ period })), width: 8 }),
      new GraphWidget({ title: 'DLQ depth', left: Object.entries(props.queues).map(([, q]) => q.dlq.metricApproximateNumberOfMessagesVisible({ period })), width: 8 }),
    );
    dashboard.addWidgets(
      new GraphWidget({ title: 'Lambda errors', left: Object.values(props.functions).map((fn) => fn.metricErrors({ period })), width: 8 }),
      new GraphWidget({ title: 'Lambda throttles', left: Object.values(props.functions).map((fn) => fn.metricThrottles({ period })), width: 8 }),
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
  }
}
