/**
 * AWS SDK clients as the hub builds them. The SDK's logger middleware runs the input and output of
 * every call through its sensitive-data filter for the client's logger — even for the default
 * logger, which discards what it is given. The hub logs its own calls (Powertools), so the
 * middleware goes: 2,000 BatchGetItems of 100 items cost 2.3–2.9 s of CPU with it and 1.5–1.6 s
 * without (a fake HTTP handler, so only the SDK's own work was timed; test/unit/aws-clients.test.ts
 * checks it is gone).
 */
interface WithMiddleware {
  readonly middlewareStack: { remove(toRemove: string): boolean };
}

/** The client without the SDK's logger middleware. */
export const withoutSdkLogger = <C extends WithMiddleware>(client: C): C => {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
};
