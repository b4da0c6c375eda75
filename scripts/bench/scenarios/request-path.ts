/**
 * Request path: latency of the ingest handlers called in process (as Lambda calls them) for a
 * 1,000-identifier cohort request, and of the AB Tasty visitor routes (segments, context) over HTTP
 * on the local server under concurrent load (abtasty-reads.ts). Real DynamoDB Local and SQS emulator.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { lambdaContext } from '../../local/lambda-context';
import { proxyEventOf } from '../../local/proxy-event';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import type { QueueKey } from '../../../functions/shared/definitions/queues';
import type { BenchContext, Scenario } from '../run';
import { percentile, round, timedLoad } from '../stats';
import { abTastyReadResults } from './abtasty-reads';
import { untilQuiet } from './common';
import { benchEvent } from './currents';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const event = (path: string, pathParameters: Record<string, string>, body: string): APIGatewayProxyEvent =>
  proxyEventOf({ method: 'POST', path, pathParameters, headers: { 'content-type': 'application/json' }, body });

/**
 * Runs `measure` with `queue`'s worker paused, then drops the messages it queued and resumes the
 * worker: in Lambda an ingest function does not share its CPU with the worker of its queue, as the
 * in-process local stack would make it (each measured cohort request queues 1,000 identifiers).
 * Work earlier scenarios left running finishes first (`untilQuiet`).
 */
const ingestAlone = async <T>(context: BenchContext, queue: QueueKey, measure: () => Promise<T>): Promise<T> => {
  await untilQuiet(context);
  context.hub.workers.pause(queue);
  try {
    return await measure();
  } finally {
    await context.hub.sqs.send(new PurgeQueueCommand({ QueueUrl: context.hub.queues[queue].url }));
    context.hub.workers.resume(queue);
  }
};

const summary = (latencies: number[]) => ({ samples: latencies.length, p50Ms: round(percentile(latencies, 50), 2), p99Ms: round(percentile(latencies, 99), 2) });

export const requestPathScenario: Scenario = {
  name: 'requestPath',
  async run(context) {
    const iterations = Math.max(20, Math.round(300 * context.scale));
    const workspace = await context.createWorkspace();
    const { handler: cohortIngest } = (await import('../../../functions/handlers/cohort-ingest')) as { handler: Handler };
    const body = JSON.stringify({
      partner_api_key: 'segment-partner-key',
      client_secret: workspace.dataImportKey,
      cohort_id: 'latency',
      cohort_changes: [{ user_ids: Array.from({ length: 1000 }, (_, index) => `latency-user-${index}`), device_ids: [], aliases: [] }],
    });
    // Warm up (first call pays module-level lazy initialisation, like a cold start).
    await cohortIngest(event('/partners/segment/cohorts/users', { partner: 'segment' }, body), lambdaContext('cohortIngest'));
    const cohortLatencies = await ingestAlone(context, 'cohortImport', () =>
      timedLoad(iterations, 1, async () => {
        const result = await cohortIngest(event('/partners/segment/cohorts/users', { partner: 'segment' }, body), lambdaContext('cohortIngest'));
        if (result.statusCode !== 201) throw new Error(`cohort ingest answered ${result.statusCode}`);
      }),
    );

    const { handler: currentsIngest } = (await import('../../../functions/handlers/currents-ingest')) as { handler: Handler };
    const batch = JSON.stringify({ events: Array.from({ length: 100 }, (_, index) => benchEvent(10_000_000 + index)) });
    const currentsEvent = () => {
      const base = event('/currents', {}, batch);
      return { ...base, headers: { ...base.headers, authorization: `Bearer ${workspace.currentsToken}` } };
    };
    await currentsIngest(currentsEvent(), lambdaContext('currentsIngest'));
    const currentsLatencies = await ingestAlone(context, 'currents', () =>
      timedLoad(iterations, 1, async () => {
        const result = await currentsIngest(currentsEvent(), lambdaContext('currentsIngest'));
        if (result.statusCode !== 200) throw new Error(`currents ingest answered ${result.statusCode}`);
      }),
    );

    const results: Record<string, unknown> = {
      cohortIngest1000InProcess: summary(cohortLatencies),
      currentsIngest100InProcess: summary(currentsLatencies),
    };

    Object.assign(results, await abTastyReadResults(context));
    return results;
  },
};
