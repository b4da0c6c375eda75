/**
 * The local stand-in for the AB Tasty refresh schedule (EventBridge Scheduler in AWS): every
 * `intervalMs` it sends the same sweep message the schedule sends to the delivery queue, so every
 * configured workspace is re-pushed well inside AB Tasty's 30-day retention while `npm start` runs.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sweepMessage } from '../../functions/schemas/abtasty-delivery';

/** The deployed schedule's default period: a day. */
export const LOCAL_REFRESH_INTERVAL_MS = 24 * 3600 * 1000;

export interface RefreshTimer {
  stop(): void;
}

export const startAbTastyRefreshTimer = (options: { sqs: Pick<SQSClient, 'send'>; queueUrl: string; intervalMs?: number; now?: () => number }): RefreshTimer => {
  const now = options.now ?? Date.now;
  const sweep = () => {
    const body = JSON.stringify(sweepMessage(new Date(now()).toISOString()));
    // A failed send is retried by the next tick, as Scheduler retries its own; the local stack keeps running.
    options.sqs.send(new SendMessageCommand({ QueueUrl: options.queueUrl, MessageBody: body })).catch(() => undefined);
  };
  const timer = setInterval(sweep, options.intervalMs ?? LOCAL_REFRESH_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
};
