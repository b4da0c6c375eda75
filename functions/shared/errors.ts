/**
 * Errors that carry their HTTP meaning. Domain code throws these with the partner's own wording;
 * the HTTP wrapper turns them into `{ message, errors }` responses, anything else into a 500.
 */
export class HubError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: readonly string[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
    /** For the log only (never in the response): what is known about a failed dependency. */
    readonly logDetail: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends HubError {
  constructor(message: string, errors: readonly string[] = []) {
    super(400, message, errors);
  }
}

export class UnauthorizedError extends HubError {
  constructor(message = 'Unauthorized access') {
    super(401, message);
  }
}

export class ForbiddenError extends HubError {
  constructor(message = 'Forbidden') {
    super(403, message);
  }
}

export class NotFoundError extends HubError {
  constructor(message: string) {
    super(404, message);
  }
}

export class PayloadTooLargeError extends HubError {
  constructor(limitBytes: number) {
    super(413, `Request body is larger than ${limitBytes} bytes`);
  }
}

export class RateLimitedError extends HubError {
  constructor(retryAfterSeconds: number, headers: Readonly<Record<string, string>> = {}) {
    super(429, 'Rate limit exceeded', [], { 'Retry-After': String(retryAfterSeconds), ...headers });
  }
}

/** How far a request's enqueueing got before the queue gave up. */
export interface EnqueueProgress {
  /** Messages SQS confirmed. */
  readonly queued: number;
  /** Messages the request needed. */
  readonly total: number;
  /** The last error, for the log. */
  readonly cause?: unknown;
}

const describeCause = (cause: unknown): Record<string, unknown> =>
  cause === undefined ? {} : { cause: cause instanceof Error ? { name: cause.name, message: cause.message } : typeof cause === 'string' ? cause : typeof cause };

/**
 * The request could not be queued whole: 503 + Retry-After, and the sender should retry the whole
 * request. The message says what is true: nothing was accepted, or (a request of several messages
 * whose later `SendMessageBatch` failed) part of it was queued — a retry is still safe, since every
 * message is idempotent and version-guarded, so the retry converges on the same result.
 */
export class QueueUnavailableError extends HubError {
  constructor(retryAfterSeconds = 5, progress: EnqueueProgress = { queued: 0, total: 0 }) {
    super(
      503,
      progress.queued > 0
        ? 'Service temporarily unavailable, part of this request was queued: retry the whole request later (safe: processing is idempotent)'
        : 'Service temporarily unavailable, nothing was accepted: retry later',
      [],
      { 'Retry-After': String(retryAfterSeconds) },
      { queuedMessages: progress.queued, messages: progress.total, ...describeCause(progress.cause) },
    );
  }
}
