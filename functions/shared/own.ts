/**
 * Reading a plain object by a key that came from a client (a partner name, an alias label): only
 * the object's own properties count. `record[key]` would also find `Object.prototype`'s members —
 * `constructor`, `toString`, `__proto__`, … — and hand a function or an object to code that expects
 * a string or undefined.
 */
export const ownValue = <T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined =>
  record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
