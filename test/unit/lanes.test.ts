/**
 * Bounded concurrency that never leaves work running behind a failure (functions/shared/lanes.ts,
 * functions/adapters/dynamo/busy-queue.ts): in Lambda, work still running when the handler returns
 * is frozen, and a member partition it holds stays held until its lease.
 */
import { allSettled, inLanes } from '../../functions/shared/lanes';
import { runBusyQueue, type StepOutcome } from '../../functions/adapters/dynamo/busy-queue';

/** A promise the test resolves when it wants. */
const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
};

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** `outcome` is still pending while `slow` is; once `slow` ends, it rejects with `message`. */
const rejectsOnlyAfter = async (outcome: Promise<unknown>, slow: { resolve: () => void }, message: string) => {
  let settled = false;
  void outcome.catch(() => (settled = true));
  await tick();
  expect(settled).toBe(false);
  slow.resolve();
  await expect(outcome).rejects.toThrow(message);
};

describe('allSettled', () => {
  it('rejects with the first rejection only after every promise has settled', async () => {
    const slow = deferred();
    let slowEnded = false;
    const outcome = allSettled([Promise.reject(new Error('first')), slow.promise.then(() => (slowEnded = true)), Promise.reject(new Error('second'))]);
    await rejectsOnlyAfter(outcome, slow, 'first');
    expect(slowEnded).toBe(true);
  });
});

describe('inLanes', () => {
  it('runs every item with at most `concurrency` in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const done: number[] = [];
    await inLanes([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await tick();
      inFlight -= 1;
      done.push(item);
    });
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it('after a failure starts no more items and rejects once the items in flight have ended', async () => {
    const slow = deferred();
    const started: number[] = [];
    let slowEnded = false;
    const outcome = inLanes([1, 2, 3, 4, 5], 2, async (item) => {
      started.push(item);
      if (item === 1) {
        await slow.promise;
        slowEnded = true;
      }
      if (item === 2) throw new Error('item 2 failed');
    });
    await rejectsOnlyAfter(outcome, slow, 'item 2 failed');
    expect(slowEnded).toBe(true);
    expect(started).toEqual([1, 2]);
  });
});

describe('runBusyQueue', () => {
  const options = { lanes: 2, maxBusy: 3, pauseMs: () => 1, now: () => Date.now() };

  it('throws a step error only after the other lanes finished the step they were in', async () => {
    const slow = deferred();
    let slowEnded = false;
    const steps: string[] = [];
    const outcome = runBusyQueue(['slow', 'fails', 'later'], async (task): Promise<StepOutcome> => {
      steps.push(task);
      if (task === 'slow') {
        await slow.promise;
        slowEnded = true;
      }
      if (task === 'fails') throw new Error('write failed');
      return 'done';
    }, options);
    await rejectsOnlyAfter(outcome, slow, 'write failed');
    expect(slowEnded).toBe(true);
    expect(steps).toEqual(['slow', 'fails']);
  });

  it('gives up on a task that stays busy, and retries one that frees up', async () => {
    let tries = 0;
    await runBusyQueue(['frees up'], () => Promise.resolve<StepOutcome>((tries += 1) < 3 ? 'busy' : 'done'), options);
    expect(tries).toBe(3);
    await expect(runBusyQueue(['held'], () => Promise.resolve<StepOutcome>('busy'), options)).rejects.toThrow('a task stayed busy after 3 tries');
  });
});
