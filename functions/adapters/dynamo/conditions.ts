/**
 * Reading DynamoDB's refusals: a failed `ConditionExpression` on a single write, and which actions
 * of a cancelled transaction failed their condition (`CancellationReasons` come in `TransactItems`
 * order, one per action, `None` for those that did not fail).
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';

/** A single write (Put/Update/Delete) refused by its condition. */
export const isConditionFailure = (error: unknown): boolean => (error as Error).name === 'ConditionalCheckFailedException';

export const isTransactionCancelled = (error: unknown): error is TransactionCanceledException => error instanceof TransactionCanceledException;

/** True when `error` cancelled a transaction and the action at `index` failed its condition. */
export const conditionFailedAt = (error: unknown, index: number): boolean =>
  isTransactionCancelled(error) && error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed';

/** True when `error` cancelled a transaction and any action from `fromIndex` on failed its condition. */
export const anyConditionFailedFrom = (error: unknown, fromIndex: number): boolean =>
  isTransactionCancelled(error) && (error.CancellationReasons ?? []).slice(fromIndex).some((reason) => reason.Code === 'ConditionalCheckFailed');

/** A transaction worth re-reading and retrying: cancelled (a condition or a conflict), or throttled. */
export const isContention = (error: unknown): boolean =>
  isTransactionCancelled(error) ||
  (error as Error).name === 'TransactionConflictException' ||
  (error as Error).name === 'ProvisionedThroughputExceededException';

/** Runs a conditional write: true once it applied, false when its condition refused it; other errors throw. */
export const whenCondition = async (write: () => Promise<unknown>): Promise<boolean> => {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
};
