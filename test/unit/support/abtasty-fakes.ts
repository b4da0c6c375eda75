/** In-memory fakes of the AB Tasty delivery ports (token provider, UDC sender, member source, clock). */
import type { DeliveryPorts, MemberSource, TokenProvider, TokenResult, UdcUpload } from '../../../functions/domain/abtasty-delivery';
import type { HttpOutcome } from '../../../functions/domain/abtasty-retry';

export const ok = (status = 200, message = '{"message":"OK"}'): HttpOutcome => ({ kind: 'answered', status, message });
export const answer = (status: number, message: string, retryAfter?: string): HttpOutcome =>
  retryAfter === undefined ? { kind: 'answered', status, message } : { kind: 'answered', status, message, retryAfter };

/** Tokens `t1`, `t2`, … — a new one per grant; `grants` scripts grant failures first. */
export const fakeTokens = (grants: HttpOutcome[] = []) => {
  const calls = { token: 0, refresh: [] as string[], grants: 0 };
  let current: string | undefined;
  const grant = (): TokenResult => {
    calls.grants += 1;
    const failure = grants.shift();
    if (failure) return { kind: 'failed', outcome: failure };
    current = `t${calls.grants}`;
    return { kind: 'token', token: current };
  };
  const provider: TokenProvider = {
    token: () => {
      calls.token += 1;
      return Promise.resolve(current ? { kind: 'token', token: current } : grant());
    },
    refresh: (rejected) => {
      calls.refresh.push(rejected);
      if (current === rejected) current = undefined;
      return Promise.resolve(current ? { kind: 'token', token: current } : grant());
    },
  };
  return { provider, calls };
};

/** A sender that reads each body whole (as AB Tasty would) and answers from a script (then 200). */
export const fakeSender = (script: HttpOutcome[] = []) => {
  const uploads: { upload: Omit<UdcUpload, 'body'>; text: string }[] = [];
  return {
    uploads,
    sender: {
      async send(upload: UdcUpload) {
        const parts: Uint8Array[] = [];
        for await (const chunk of upload.body) parts.push(chunk);
        const { body: _body, ...rest } = upload;
        uploads.push({ upload: rest, text: Buffer.concat(parts).toString('utf8') });
        return script.shift() ?? ok();
      },
    },
  };
};

/** Members per segment id, served in pages of `pageSize`; `reads` counts page reads. */
export const fakeMembers = (members: Record<string, string[]>, pageSize = 2) => {
  const stats = { reads: 0 };
  const source: MemberSource = {
    async *pages(segmentId) {
      const all = members[segmentId] ?? [];
      for (let start = 0; start < all.length; start += pageSize) {
        stats.reads += 1;
        await Promise.resolve();
        yield all.slice(start, start + pageSize);
      }
    },
  };
  return { source, stats, members };
};

/** A clock that only moves when the delivery sleeps. */
export const fakeTime = (start = Date.parse('2026-11-24T10:00:00Z')) => {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    clock: { now: () => now },
    sleep: (ms: number) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
};

export const portsOf = (parts: {
  tokens: TokenProvider;
  sender: DeliveryPorts['sender'];
  members: MemberSource;
  time: ReturnType<typeof fakeTime>;
  random?: () => number;
}): DeliveryPorts => ({
  tokens: parts.tokens,
  sender: parts.sender,
  members: parts.members,
  clock: parts.time.clock,
  sleep: parts.time.sleep,
  random: parts.random ?? (() => 0),
});
