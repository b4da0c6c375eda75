/** `npm run admin -- dlq list|redrive --queue <name>` on the local or a deployed stack. */
import { dlqDepths, redriveDlq } from '../../functions/adapters/dlq';
import { QUEUES, type QueueKey } from '../../functions/shared/definitions/queues';
import type { Target } from './target';

export const dlqCommand = async (target: Target, command: string | undefined, queue: string | undefined): Promise<void> => {
  if (command === 'list') {
    console.table(await dlqDepths(target.sqs, target.prefix));
    return;
  }
  if (command === 'redrive') {
    if (!queue || !(queue in QUEUES)) throw new Error(`--queue must be one of ${Object.keys(QUEUES).join(', ')}`);
    const moved = await redriveDlq(target.sqs, target.prefix, queue as QueueKey);
    console.log(`Moved ${moved} message(s) from the ${queue} DLQ back to its queue.`);
    return;
  }
  throw new Error('dlq takes list or redrive --queue <name>');
};
