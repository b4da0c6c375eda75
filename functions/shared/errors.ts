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

/** The request could not be queued whole; nothing of it was accepted, the sender should retry. */
export class QueueUnavailableError extends HubError {
  constructor(retryAfterSeconds = 5) {
    super(503, 'Service temporarily unavailable, nothing was accepted: retry later', [], {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}
