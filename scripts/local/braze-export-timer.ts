/**
 * The local stand-in for the Braze export schedule (EventBridge Scheduler in AWS): every `intervalMs`
 * it invokes the same requester handler the schedule invokes (functions/handlers/braze-export-requester.ts),
 * which asks Braze — or the fake at `BRAZE_REST_URL` — for the export of every workspace whose period is up.
 */
import { FUNCTIONS } from '../../functions/shared/definitions/functions';
import { loadHandler } from './handlers';

/** The deployed schedule's period: an hour. */
export const LOCAL_BRAZE_EXPORT_CHECK_MS = 3_600_000;

export interface BrazeExportTimer {
  stop(): void;
}

export const startBrazeExportTimer = async (intervalMs = LOCAL_BRAZE_EXPORT_CHECK_MS): Promise<BrazeExportTimer> => {
  const handler = await loadHandler<() => Promise<unknown>>(FUNCTIONS.brazeExportRequester);
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    // One workspace's failure is recorded by the requester itself; anything else waits for the next tick.
    handler()
      .catch((error: unknown) => console.error(`braze export check: ${(error as Error).message}`))
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
};
