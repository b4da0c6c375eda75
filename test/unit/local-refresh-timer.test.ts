import type { SendMessageCommand } from '@aws-sdk/client-sqs';
import { abTastyDeliveryMessageSchema } from '../../functions/schemas/abtasty-delivery';
import { startAbTastyRefreshTimer } from '../../scripts/local/schedule';

describe('the local AB Tasty refresh timer (EventBridge Scheduler in AWS)', () => {
  afterEach(() => jest.useRealTimers());

  it('sends the sweep message the deployed schedule sends, once per interval, until stopped', () => {
    jest.useFakeTimers();
    const sent: SendMessageCommand['input'][] = [];
    let now = Date.parse('2026-11-24T04:00:00Z');
    const sqs = { send: (command: SendMessageCommand) => Promise.resolve(void sent.push(command.input)) } as never;

    const timer = startAbTastyRefreshTimer({ sqs, queueUrl: 'http://queue', intervalMs: 1000, now: () => now });
    jest.advanceTimersByTime(999);
    const beforeFirst = sent.length;
    jest.advanceTimersByTime(1);
    now += 86_400_000;
    jest.advanceTimersByTime(1000);
    timer.stop();
    jest.advanceTimersByTime(5000);

    expect(beforeFirst).toBe(0);
    expect(sent.map((input) => input.QueueUrl)).toEqual(['http://queue', 'http://queue']);
    expect(sent.map((input) => abTastyDeliveryMessageSchema.parse(JSON.parse(input.MessageBody ?? '')))).toEqual([
      { type: 'sweep', dedupeKey: 'abtasty-sweep#2026-11-24T04:00:00.000Z', scheduledAt: '2026-11-24T04:00:00.000Z' },
      { type: 'sweep', dedupeKey: 'abtasty-sweep#2026-11-25T04:00:00.000Z', scheduledAt: '2026-11-25T04:00:00.000Z' },
    ]);
  });
});
