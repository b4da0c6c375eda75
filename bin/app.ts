/**
 * CDK app: a stateful and a service stack per stage (dev, prod), checked by cdk-nag's AWS Solutions
 * rules as a validation plugin: any unacknowledged finding fails `cdk synth`.
 * Select stages with `-c stages=dev` (default: both).
 */
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ServiceStack } from '../lib/service-stack';
import { StatefulStack } from '../lib/stateful-stack';
import { stageConfig, type StageName } from '../lib/stage-config';

const app = new App();
const requested = String(app.node.tryGetContext('stages') ?? 'dev,prod')
  .split(',')
  .map((stage) => stage.trim()) as StageName[];
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

for (const stage of requested) {
  const config = stageConfig(stage, (key) => app.node.tryGetContext(key));
  const stateful = new StatefulStack(app, `AudienceHub-${stage}-Stateful`, { config, env });
  const service = new ServiceStack(app, `AudienceHub-${stage}-Service`, { config, stateful, env });
  service.addStackDependency(stateful);
  Tags.of(stateful).add('app', 'audience-hub');
  Tags.of(service).add('app', 'audience-hub');
  Tags.of(stateful).add('stage', stage);
  Tags.of(service).add('stage', stage);
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
