/** In-memory `ChangeEventPublisher`: keeps every published detail; `failNext` makes the next publish throw (a PutEvents outage). */
import type { ChangeEventPublisher, MembershipChangedDetail } from '../../../functions/domain/ports';

export interface FakeChangeEvents extends ChangeEventPublisher {
  readonly published: MembershipChangedDetail[];
  failNext(times: number): void;
}

export const fakeChangeEvents = (): FakeChangeEvents => {
  const published: MembershipChangedDetail[] = [];
  let failures = 0;
  return {
    published,
    failNext: (times) => {
      failures = times;
    },
    publish: (details) => {
      if (failures > 0) {
        failures -= 1;
        return Promise.reject(new Error('PutEvents unavailable'));
      }
      published.push(...details);
      return Promise.resolve();
    },
  };
};
