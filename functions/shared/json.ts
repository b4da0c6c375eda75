/**
 * Parsing JSON that came from outside (a request body, a cursor) without throwing. The result is
 * typed, not worded: each caller answers in its partner's own convention (Braze's cohort texts, the
 * Currents and identity refusals, a kept Heap reject, an invalid cursor).
 */

/** Why a text is not the JSON wanted: not JSON at all, or JSON but not an object. */
export type JsonProblem = 'not-json' | 'not-object';

export type JsonParsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: JsonProblem };

/** A plain JSON object: not null, not an array. */
export const isJsonObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The JSON value of `text`, or `not-json`. */
export const parseJson = (text: string): JsonParsed<unknown> => {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, problem: 'not-json' };
  }
};

/** The JSON object `text` holds, or why it holds none. */
export const parseJsonObject = (text: string): JsonParsed<Record<string, unknown>> => {
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  return isJsonObject(parsed.value) ? { ok: true, value: parsed.value } : { ok: false, problem: 'not-object' };
};
