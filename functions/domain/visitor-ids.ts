/**
 * AB Tasty visitor ids: AB Tasty's data connector accepts `^[a-z0-9-]{1,32}$`, case-insensitive.
 * The hub stores them lower-cased so `ABC` and `abc` are the same visitor.
 */
const VISITOR_ID = /^[a-z0-9-]{1,32}$/i;

/** The longest visitor id (characters; ASCII, so also bytes). */
export const MAX_VISITOR_ID_LENGTH = 32;

/** The normalised (lower-case) visitor id, or undefined when the value is not a valid one. */
export const normaliseVisitorId = (value: unknown): string | undefined => {
  const text = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : value;
  if (typeof text !== 'string' || !VISITOR_ID.test(text)) return undefined;
  return text.toLowerCase();
};

/** Splits raw Heap ids into valid normalised ids (deduplicated, first-seen order) and an invalid count. */
export const partitionVisitorIds = (values: readonly unknown[]): { valid: string[]; invalid: number } => {
  const valid = new Set<string>();
  let invalid = 0;
  for (const value of values) {
    const id = normaliseVisitorId(value);
    if (id === undefined) invalid += 1;
    else valid.add(id);
  }
  return { valid: [...valid], invalid };
};
