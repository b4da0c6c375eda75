/** Powertools singletons, created once per execution environment and shared by every module. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

export const SERVICE_NAME = 'audience-hub';

export const logger = new Logger({ serviceName: SERVICE_NAME });

export const metrics = new Metrics({ namespace: 'AudienceHub', serviceName: SERVICE_NAME });
