/** GET /health (public) — 200 when every table and queue this deployment uses answers, 503 otherwise. */
import { tableProbe, queueProbe } from '../adapters/health-probes';
import { checkHealth, type Probe } from '../domain/health';
import { systemClock } from '../domain/ports';
import { optionalQueueUrl, tableName } from '../shared/config';
import { QUEUES } from '../shared/definitions/queues';
import { json } from '../shared/http';
import { httpRouter } from '../shared/router';

const probes = (): Record<string, Probe> => {
  const found: Record<string, Probe> = { dynamodb: tableProbe(tableName('workspaces')) };
  for (const key of Object.keys(QUEUES) as (keyof typeof QUEUES)[]) {
    const url = optionalQueueUrl(key);
    if (url) found[`sqs:${key}`] = queueProbe(url);
  }
  return found;
};

export const handler = httpRouter('health', {
  authenticate: {},
  routes: {
    'GET /health': async () => {
      const report = await checkHealth(probes());
      return json(report.status === 'ok' ? 200 : 503, report);
    },
  },
}, { clock: systemClock });
