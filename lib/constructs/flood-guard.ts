/**
 * The API's flood guard: a regional WAF web ACL on the API stage with rate-based rules per source IP —
 * one per traffic class (the routes of the route table, grouped by the function that serves them),
 * one for everything else, and one over the whole API. A refusal is a custom **429 with
 * `Retry-After` and a JSON body**, never WAF's default 403: Braze Currents never re-sends a batch
 * refused with 403, while it, Heap and Segment retry a 429. Limits per stage (stage-config.ts),
 * numbers and reasons in docs/operations.md.
 */
import { Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { FunctionKey } from '../../functions/shared/definitions/functions';
import type { RouteDefinition } from '../../functions/shared/definitions/routes';
import type { StageConfig, TrafficClass } from '../stage-config';

/** The traffic class of each routed function; a routed function not listed here is guarded as a read API. */
export const TRAFFIC_CLASS: Partial<Record<FunctionKey, TrafficClass>> = {
  cohortIngest: 'cohortImport',
  currentsIngest: 'currents',
  heapWebhook: 'heapWebhook',
  segmentIngest: 'segment',
  readApi: 'readApis',
  abTastyApi: 'readApis',
  eventsApi: 'readApis',
  identityApi: 'readApis',
  health: 'other',
};

/** Key of the JSON body every refusal carries. */
export const RATE_LIMITED_BODY_KEY = 'rate-limited';

/** WAF's limit on one regex. */
const MAX_REGEX_LENGTH = 512;

/**
 * A regex matching the URI paths of these routes whatever comes before them (the stage name on the
 * execute-api URL, or a custom domain's base path): `{param}` → one path segment, anchored at the end.
 */
export const pathRegex = (paths: readonly string[]): string => {
  const alternatives = [...new Set(paths)].map((path) => path.replace(/[.+?()|[\]\\^$]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+'));
  const regex = `(${alternatives.join('|')})$`;
  if (regex.length > MAX_REGEX_LENGTH) throw new Error(`flood guard: the path regex of ${paths.join(', ')} is longer than WAF allows`);
  return regex;
};

const regexStatement = (regex: string): CfnWebACL.StatementProperty => ({
  regexMatchStatement: { regexString: regex, fieldToMatch: { uriPath: {} }, textTransformations: [{ priority: 0, type: 'NONE' }] },
});

const anyOf = (statements: CfnWebACL.StatementProperty[]): CfnWebACL.StatementProperty =>
  statements.length === 1 ? (statements[0] as CfnWebACL.StatementProperty) : { orStatement: { statements } };

export interface FloodGuardProps {
  readonly config: StageConfig;
  readonly api: RestApi;
  readonly routes: readonly RouteDefinition[];
}

export class FloodGuard extends Construct {
  readonly webAcl: CfnWebACL;
  /** The web ACL's name (the `WebACL` dimension of its AWS/WAFV2 metrics). */
  readonly webAclName: string;

  constructor(scope: Construct, id: string, props: FloodGuardProps) {
    super(scope, id);
    const { config } = props;
    this.webAclName = `${config.prefix}-api`;
    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      name: this.webAclName,
      description: 'Audience hub flood guard: per-IP rate limits answering 429 + Retry-After',
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      customResponseBodies: {
        [RATE_LIMITED_BODY_KEY]: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({ message: 'Too many requests from this address', errors: [`rate limited: retry after ${config.floodGuard.windowSeconds} seconds`] }),
        },
      },
      rules: this.rules(config, props.routes),
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: this.webAclName, sampledRequestsEnabled: true },
    });
    const stage = props.api.deploymentStage;
    const association = new CfnWebACLAssociation(this, 'StageAssociation', {
      resourceArn: `arn:${Stack.of(this).partition}:apigateway:${Stack.of(this).region}::/restapis/${props.api.restApiId}/stages/${stage.stageName}`,
      webAclArn: this.webAcl.attrArn,
    });
    association.node.addDependency(stage);
  }

  /** One rule per traffic class with routes, one for the rest, one over everything; all block with the custom 429. */
  private rules(config: StageConfig, routes: readonly RouteDefinition[]): CfnWebACL.RuleProperty[] {
    const pathsByClass = new Map<TrafficClass, Map<FunctionKey, string[]>>();
    for (const route of routes) {
      const trafficClass = TRAFFIC_CLASS[route.function] ?? 'readApis';
      const byFunction = pathsByClass.get(trafficClass) ?? new Map<FunctionKey, string[]>();
      byFunction.set(route.function, [...(byFunction.get(route.function) ?? []), route.path]);
      pathsByClass.set(trafficClass, byFunction);
    }
    const classStatements = new Map(
      [...pathsByClass].filter(([trafficClass]) => trafficClass !== 'other').map(([trafficClass, byFunction]) => [trafficClass, anyOf([...byFunction.values()].map((paths) => regexStatement(pathRegex(paths))))] as const),
    );
    const perClass = [...classStatements].map(([trafficClass, statement]) => this.rateRule(config, trafficClass, config.floodGuard.perIp[trafficClass], statement));
    const rest = this.rateRule(config, 'other', config.floodGuard.perIp.other, { notStatement: { statement: anyOf([...classStatements.values()]) } });
    const all = this.rateRule(config, 'all', config.floodGuard.perIpAll);
    return [all, ...perClass, rest].map((rule, priority) => ({ ...rule, priority }));
  }

  /** A rate-based rule per source IP over `scopeDown` (or every request), blocking with the custom 429. */
  private rateRule(config: StageConfig, name: string, limit: number, scopeDown?: CfnWebACL.StatementProperty): Omit<CfnWebACL.RuleProperty, 'priority'> {
    const metricName = `${config.prefix}-rate-${name}`;
    return {
      name: `rate-${name}`,
      statement: {
        rateBasedStatement: { limit, aggregateKeyType: 'IP', evaluationWindowSec: config.floodGuard.windowSeconds, ...(scopeDown ? { scopeDownStatement: scopeDown } : {}) },
      },
      action: {
        block: {
          customResponse: {
            responseCode: 429,
            customResponseBodyKey: RATE_LIMITED_BODY_KEY,
            responseHeaders: [{ name: 'Retry-After', value: String(config.floodGuard.windowSeconds) }],
          },
        },
      },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true },
    };
  }
}
