/**
 * Reading a plain object by a key that came from a client (a partner name, an alias label): only
 * the object's own properties count. `record[key]` would also find `Object.prototype`'s members —
 * `constructor`, `toString`, `__proto__`, … — and hand a function or an object to code that expects
 * a string or undefined.
 */
/** Keys the AWS SDK cannot store in a DynamoDB map: it refuses to marshall an own `constructor` key and drops `__proto__` both ways. */
export const UNSTORABLE_MAP_KEYS: readonly string[] = ['constructor', '__proto__'];

export const ownValue = <T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined =>
  record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
