/**
 * Splitting a request's items into queue messages: each chunk's message must fit one queue message
 * (`fits`, from the `QueuePublisher` port), so chunks halve until they do. The split is
 * deterministic: the same items always give the same chunks.
 */

/** The message bodies of `items` in chunks that fit, or undefined when one item alone does not fit. */
export const chunkToFit = <T>(items: readonly T[], toBody: (chunk: readonly T[]) => string, fits: (body: string) => boolean): string[] | undefined => {
  if (items.length === 0) return [];
  const body = toBody(items);
  if (fits(body)) return [body];
  if (items.length === 1) return undefined;
  const middle = Math.ceil(items.length / 2);
  const head = chunkToFit(items.slice(0, middle), toBody, fits);
  const tail = head && chunkToFit(items.slice(middle), toBody, fits);
  return head && tail ? [...head, ...tail] : undefined;
};
