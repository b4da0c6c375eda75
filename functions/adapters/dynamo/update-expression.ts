/**
 * Update expressions from plain objects: every attribute goes through a numbered placeholder
 * (`#<prefix><i>` / `:<prefix><i>`), so any attribute name works, reserved words included, and
 * hand-written clauses using other placeholders never collide with generated ones.
 */

export interface ExpressionParts {
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExpressionAttributeValues?: Record<string, unknown>;
}

export interface Assignments {
  /** `#p0 = :p0, #p1 = :p1` (SET form) or `#p0 :p0, …` (ADD form). */
  readonly clause: string;
  readonly names: Record<string, string>;
  readonly values: Record<string, unknown>;
  /** The name placeholder generated for `field` (for a condition on the same attribute). */
  nameOf(field: string): string;
}

/** Placeholders for `fields` in SET (`#a = :a`) or ADD (`#a :a`) form. */
export const assignments = (prefix: string, fields: Record<string, unknown>, form: 'set' | 'add' = 'set'): Assignments => {
  const entries = Object.entries(fields);
  const placeholder = (index: number) => `${prefix}${index}`;
  const operator = form === 'set' ? ' = ' : ' ';
  return {
    clause: entries.map((_, index) => `#${placeholder(index)}${operator}:${placeholder(index)}`).join(', '),
    names: Object.fromEntries(entries.map(([name], index) => [`#${placeholder(index)}`, name])),
    values: Object.fromEntries(entries.map(([, value], index) => [`:${placeholder(index)}`, value])),
    nameOf: (field) => {
      const index = entries.findIndex(([name]) => name === field);
      if (index < 0) throw new Error(`no placeholder for ${field}`);
      return `#${placeholder(index)}`;
    },
  };
};

/** Joins names and values of several parts, leaving out an empty map (DynamoDB refuses empty ones). */
export const expressionParts = (...parts: { names?: Record<string, string>; values?: Record<string, unknown> }[]): ExpressionParts => {
  const names = Object.assign({}, ...parts.map((part) => part.names ?? {})) as Record<string, string>;
  const values = Object.assign({}, ...parts.map((part) => part.values ?? {})) as Record<string, unknown>;
  return {
    ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
};
