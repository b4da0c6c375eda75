/**
 * Tasks over shared resources, a few in flight at once, where a step may find its resource busy
 * (another writer holds it). A busy task goes to the back of the queue after a short random pause,
 * so lanes work on free tasks instead of waiting behind a busy one.
 */
import { allSettled } from '../../shared/lanes';
import { sleep } from './retry';

/** What one step of a task did: finished it, left more to do now, or found its resource busy. */
export type StepOutcome = 'done' | 'more' | 'busy';

interface Entry<T> {
  readonly task: T;
  notBefore: number;
  busy: number;
}

export interface BusyQueueOptions {
  readonly lanes: number;
  /** Busy answers one task may get before the whole run fails (the caller's message is then retried). */
  readonly maxBusy: number;
  /** Milliseconds to leave a task alone after its `busy`-th busy answer. */
  readonly pauseMs: (busy: number) => number;
  readonly now: () => number;
}

/**
 * Runs `step` on every task until each is done; throws the first error, or when a task stays busy —
 * after the other lanes have finished the step they were in (so no step runs on after the caller returns).
 */
export const runBusyQueue = async <T>(tasks: readonly T[], step: (task: T) => Promise<StepOutcome>, options: BusyQueueOptions): Promise<void> => {
  const queue: Entry<T>[] = tasks.map((task) => ({ task, notBefore: 0, busy: 0 }));
  let failed = false;
  const work = async (entry: Entry<T>): Promise<void> => {
    for (;;) {
      const outcome = await step(entry.task);
      if (outcome === 'done') return;
      if (outcome === 'more') continue;
      entry.busy += 1;
      if (entry.busy > options.maxBusy) throw new Error(`a task stayed busy after ${options.maxBusy} tries`);
      entry.notBefore = options.now() + options.pauseMs(entry.busy);
      queue.push(entry);
      return;
    }
  };
  const lane = async () => {
    while (queue.length > 0 && !failed) {
      const now = options.now();
      const index = queue.findIndex((entry) => entry.notBefore <= now);
      if (index < 0) {
        await sleep(Math.max(1, Math.min(...queue.map((entry) => entry.notBefore)) - now));
        continue;
      }
      const [entry] = queue.splice(index, 1) as [Entry<T>];
      await work(entry).catch((error: unknown) => {
        failed = true;
        throw error;
      });
    }
  };
  await allSettled(Array.from({ length: Math.max(1, Math.min(options.lanes, tasks.length)) }, lane));
};
