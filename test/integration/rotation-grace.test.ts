/**
 * Rotation without an outage (issue 15), on DynamoDB Local through the real cohort import route:
 * during the grace both the old and the new data import key are accepted; `graceSeconds: 0`
 * leaves only the newest; the expiry is checked at read time even through a warm credential pointer.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { credentialKey, workspaceKey } from '../../functions/adapters/dynamo/keys';
import { localSecretBox } from '../../functions/adapters/secret-box';
import { dynamoWorkspaceStore, forgetCredentialPointers } from '../../functions/adapters/workspace-store';
import { systemClock } from '../../functions/domain/ports';
import { authenticate, rotateCredential } from '../../functions/domain/workspaces';
import { startTestHub, type TestHub } from './harness';

describe('credential rotation with a grace period on DynamoDB Local', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ pollers: false });
  });
  afterAll(() => hub.stop());
  const store = () => dynamoWorkspaceStore(hub.doc, hub.tables.workspaces);
  const deps = () => ({ store: store(), secrets: localSecretBox(hub.secretKey), clock: systemClock });
  /** A cohort-import credential probe (empty `cohort_changes`): 201 when the keys are accepted, 401 otherwise. */
  const probe = async (dataImportKey: string, partnerKey = 'any-partner-key') =>
    (await hub.request('POST', '/partners/heap/cohorts/users', { body: { client_secret: dataImportKey, partner_api_key: partnerKey, cohort_id: 'c1', cohort_changes: [] } })).status;
  const indexed = async (kind: string, hash: string) => (await hub.doc.send(new GetCommand({ TableName: hub.tables.workspaces, Key: credentialKey(kind, hash) }))).Item !== undefined;

  it('accepts the old and the new data import key during the grace, then only the newest after a rotation with grace 0', async () => {
    const created = await hub.createWorkspace({ name: 'grace-route' });

    const before = await probe(created.dataImportKey);
    const graced = await rotateCredential(deps(), 'grace-route', 'dataImportKey', { graceSeconds: 86_400 });
    const during = [await probe(created.dataImportKey), await probe(graced.value)];
    const revoked = await rotateCredential(deps(), 'grace-route', 'dataImportKey', { graceSeconds: 0 });

    expect(before).toBe(201);
    expect(during).toEqual([201, 201]);
    expect([await probe(created.dataImportKey), await probe(graced.value), await probe(revoked.value)]).toEqual([401, 401, 201]);
  });

  it('drops the index entries of revoked values and keeps the one in its grace, in the same transaction as the record', async () => {
    const created = await hub.createWorkspace({ name: 'grace-index' });
    const hashOf = async () => (await store().getByName('grace-index'))!;

    const first = await hashOf();
    await rotateCredential(deps(), 'grace-index', 'apiKey', { graceSeconds: 3600 });
    const second = await hashOf();
    await rotateCredential(deps(), 'grace-index', 'apiKey', { graceSeconds: 3600 });
    const third = await hashOf();

    expect(second.credentialGrace?.apiKey?.hash).toBe(first.credentialHashes.apiKey);
    expect(third.credentialGrace?.apiKey?.hash).toBe(second.credentialHashes.apiKey);
    expect(await indexed('apiKey', first.credentialHashes.apiKey!)).toBe(false);
    expect(await indexed('apiKey', second.credentialHashes.apiKey!)).toBe(true);
    expect(created.workspaceId).toBe(third.workspaceId);
  });

  it('refuses an expired previous value on the next read, though a warm process still remembers its pointer', async () => {
    const created = await hub.createWorkspace({ name: 'grace-expiry' });
    forgetCredentialPointers();
    const rotated = await rotateCredential(deps(), 'grace-expiry', 'apiKey', { graceSeconds: 60 });
    const now = Date.now();

    const warm = await authenticate(store(), 'apiKey', created.apiKey, { now: () => now });
    const lastMoment = await authenticate(store(), 'apiKey', created.apiKey, { now: () => now + 59_000 });
    const expired = await authenticate(store(), 'apiKey', created.apiKey, { now: () => now + 61_000 });

    expect(warm?.workspaceId).toBe(created.workspaceId);
    expect(lastMoment?.workspaceId).toBe(created.workspaceId);
    expect(expired).toBeUndefined();
    expect((await authenticate(store(), 'apiKey', rotated.value, { now: () => now + 61_000 }))?.workspaceId).toBe(created.workspaceId);
  });

  it('rotates with a grace on a record written before grace periods existed (no credentialGrace map)', async () => {
    const created = await hub.createWorkspace({ name: 'grace-legacy' });
    await hub.doc.send(new UpdateCommand({ TableName: hub.tables.workspaces, Key: workspaceKey(created.workspaceId), UpdateExpression: 'REMOVE credentialGrace' }));

    const rotated = await rotateCredential(deps(), 'grace-legacy', 'dataImportKey', { graceSeconds: 600 });
    const again = await rotateCredential(deps(), 'grace-legacy', 'dataImportKey', { graceSeconds: 0 });

    expect(rotated.oldValueWorksUntil).toBeDefined();
    expect([await probe(created.dataImportKey), await probe(rotated.value), await probe(again.value)]).toEqual([401, 401, 201]);
  });

  it('moves a configured partner key in the same transaction, keeping the old key working during the grace', async () => {
    const created = await hub.createWorkspace({ name: 'grace-partner', partnerName: 'heap', partnerKeyPolicy: 'configured' });

    const rotated = await rotateCredential(deps(), 'grace-partner', 'partnerApiKey', { graceSeconds: 600 });
    const record = (await store().getByName('grace-partner'))!;

    expect(record.partnerKeyHashes.heap).toBe(record.credentialHashes.partnerApiKey);
    expect([await probe(created.dataImportKey, created.partnerApiKey), await probe(created.dataImportKey, rotated.value)]).toEqual([201, 201]);
    await rotateCredential(deps(), 'grace-partner', 'partnerApiKey', { graceSeconds: 0 });
    expect([await probe(created.dataImportKey, created.partnerApiKey), await probe(created.dataImportKey, rotated.value)]).toEqual([401, 401]);
  });
});
