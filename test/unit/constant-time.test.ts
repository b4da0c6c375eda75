/**
 * Credential and signature checks decide through crypto.timingSafeEqual (constant time), never
 * through `===` on secret material. Proven by making timingSafeEqual answer "different": every
 * check must then refuse even the right value. No timing is measured.
 */
import type * as nodeCrypto from 'node:crypto';
import { timingSafeEqual } from 'node:crypto';
import { authorizeImport } from '../../functions/domain/cohort-import-auth';
import { signHeapBody, verifyHeapSignature } from '../../functions/domain/heap-signature';
import { issueImportId, verifyImportId } from '../../functions/domain/import-ids';
import { authenticate, createWorkspace, rotateCredential } from '../../functions/domain/workspaces';
import { systemClock } from '../../functions/domain/ports';
import { constantTimeEqual } from '../../functions/shared/crypto';
import { decodeCursor, encodeCursor } from '../../functions/shared/cursor';
import { fakeSecretBox, memoryWorkspaceStore } from './fakes/workspaces';

jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof nodeCrypto>('node:crypto');
  return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});

const realTimingSafeEqual = jest.requireActual<typeof nodeCrypto>('node:crypto').timingSafeEqual;
const spy = timingSafeEqual as jest.MockedFunction<typeof timingSafeEqual>;

describe('constant-time comparisons', () => {
  let verdict: 'real' | 'different';
  beforeEach(() => {
    verdict = 'real';
    spy.mockReset();
    spy.mockImplementation((a, b) => (verdict === 'real' ? realTimingSafeEqual(a, b) : false));
  });

  const setup = async (policy: 'any' | 'configured' = 'configured') => {
    const store = memoryWorkspaceStore();
    const creds = await createWorkspace({ store, secrets: fakeSecretBox, clock: { now: () => Date.now() } }, { name: 'acme', partnerName: 'segment', partnerKeyPolicy: policy });
    return { store, creds };
  };

  it('constantTimeEqual compares fixed-length digests with timingSafeEqual', () => {
    expect(constantTimeEqual('same', 'same')).toBe(true);
    const [left, right] = spy.mock.calls[0] as [Buffer, Buffer];
    expect([left.length, right.length]).toEqual([32, 32]);

    verdict = 'different';
    expect(constantTimeEqual('same', 'same')).toBe(false);
  });

  it('authenticate (bearer tokens, data import keys) decides by timingSafeEqual', async () => {
    const { store, creds } = await setup();
    expect((await authenticate(store, 'apiKey', creds.apiKey, systemClock))?.workspaceId).toBe(creds.workspaceId);

    verdict = 'different';

    expect(await authenticate(store, 'apiKey', creds.apiKey, systemClock)).toBeUndefined();
    expect(await authenticate(store, 'dataImportKey', creds.dataImportKey, systemClock)).toBeUndefined();
  });

  it('the partner key check of cohort import decides by timingSafeEqual', async () => {
    const { store, creds } = await setup('configured');
    const body = { client_secret: creds.dataImportKey, partner_api_key: creds.partnerApiKey };
    await expect(authorizeImport(store, 'segment', body, systemClock)).resolves.toMatchObject({ workspace: { workspaceId: creds.workspaceId } });
    const calls = spy.mock.calls.length;

    // Only the second comparison (the partner key) says "different".
    let seen = 0;
    spy.mockImplementation((a, b) => (++seen === 2 ? false : realTimingSafeEqual(a, b)));

    await expect(authorizeImport(store, 'segment', body, systemClock)).resolves.toMatchObject({ ok: false, message: 'Invalid Partner API key' });
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  it('the Heap-Hash signature check decides by timingSafeEqual', () => {
    const now = Date.now();
    const header = signHeapBody('secret', '{"a":1}', now);
    const window = { pastSeconds: 300, futureSeconds: 60 };
    expect(verifyHeapSignature({ header, rawBody: '{"a":1}', secret: 'secret', nowMs: now }, window)).toMatchObject({ ok: true });

    verdict = 'different';

    expect(verifyHeapSignature({ header, rawBody: '{"a":1}', secret: 'secret', nowMs: now }, window)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('cursor signatures and import ids are verified by timingSafeEqual', () => {
    const scope = { secret: 'k', route: 'r' };
    const cursor = encodeCursor(scope, { pk: 'x' }) as string;
    const importScope = { secret: 'import-id-secret' };
    const importId = issueImportId(importScope, 'c', Date.now());
    expect(decodeCursor(scope, cursor)).toEqual({ ok: true, key: { pk: 'x' } });
    expect(verifyImportId(importScope, 'c', importId)).toBe(true);

    verdict = 'different';

    expect(decodeCursor(scope, cursor)).toEqual({ ok: false });
    expect(verifyImportId(importScope, 'c', importId)).toBe(false);
  });
});

describe('rotating the partner API key', () => {
  beforeEach(() => spy.mockImplementation(realTimingSafeEqual));

  it('moves the configured partner key to the new value: with grace 0 the old one is refused, the new one accepted', async () => {
    const store = memoryWorkspaceStore();
    const creds = await createWorkspace({ store, secrets: fakeSecretBox, clock: { now: () => Date.now() } }, { name: 'acme', partnerName: 'segment', partnerKeyPolicy: 'configured' });

    const rotated = await rotateCredential({ store, secrets: fakeSecretBox, clock: systemClock }, 'acme', 'partnerApiKey', { graceSeconds: 0 });

    await expect(authorizeImport(store, 'segment', { client_secret: creds.dataImportKey, partner_api_key: creds.partnerApiKey }, systemClock)).resolves.toMatchObject({ ok: false });
    await expect(authorizeImport(store, 'segment', { client_secret: creds.dataImportKey, partner_api_key: rotated.value }, systemClock)).resolves.toMatchObject({ workspace: { workspaceId: creds.workspaceId } });
  });
});
