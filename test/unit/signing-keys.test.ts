import { createWorkspace } from '../../functions/domain/workspaces';
import { importIdScope, issueImportId, verifyImportId } from '../../functions/domain/import-ids';
import { issueMissingSigningKeys, signingKeys } from '../../functions/domain/signing-keys';
import type { SecretBox } from '../../functions/domain/ports';
import { signedCursors } from '../../functions/shared/cursor';
import { fakeSecretBox, memoryWorkspaceStore } from './fakes/workspaces';

const clock = { now: () => Date.parse('2026-12-04T00:00:00Z') };

/** The secret box, counting decryptions. */
const countingBox = (): SecretBox & { decrypts: number } => {
  const box = { decrypts: 0, encrypt: fakeSecretBox.encrypt, decrypt: (c: string, ctx: Record<string, string>) => ((box.decrypts += 1), fakeSecretBox.decrypt(c, ctx)) };
  return box;
};

const setup = async () => {
  const store = memoryWorkspaceStore();
  const created = await createWorkspace({ store, secrets: fakeSecretBox, clock }, { name: 'acme' });
  const other = await createWorkspace({ store, secrets: fakeSecretBox, clock }, { name: 'other' });
  return { store, workspace: (await store.get(created.workspaceId))!, other: (await store.get(other.workspaceId))! };
};

describe('per-workspace signing keys (issue 15)', () => {
  it('are random, encrypted, bound to their workspace, and derived from nothing in the record', async () => {
    const { workspace, other } = await setup();
    const keys = signingKeys(fakeSecretBox);

    const [a, b] = [await keys.forWorkspace(workspace), await keys.forWorkspace(other)];
    const stored = JSON.stringify(workspace);

    expect(workspace.signingKey?.ciphertext).toMatch(/"purpose":"signingKey"/);
    expect(a.cursorSecret).not.toBe(b.cursorSecret);
    expect(a.importIdSecret).not.toBe(a.cursorSecret);
    expect(stored).not.toContain(a.cursorSecret.replace('cursor\n', ''));
    expect(a.cursorSecret).not.toContain(workspace.workspaceId);
    expect(a.cursorSecret).not.toContain(workspace.credentialHashes.apiKey!);
    await expect(fakeSecretBox.decrypt(workspace.signingKey!.ciphertext, { workspaceId: other.workspaceId, purpose: 'signingKey' })).rejects.toThrow();
  });

  it('are decrypted once per warm process and ciphertext', async () => {
    const { workspace } = await setup();
    const box = countingBox();
    const keys = signingKeys(box);

    await keys.forWorkspace(workspace);
    await keys.forWorkspace(workspace);
    await keys.forWorkspace({ ...workspace, signingKey: { ciphertext: await fakeSecretBox.encrypt('another', { workspaceId: workspace.workspaceId, purpose: 'signingKey' }), issuedAt: 1 } });

    expect(box.decrypts).toBe(2);
  });

  it('sign cursors that open only for their workspace and route', async () => {
    const { workspace, other } = await setup();
    const keys = signingKeys(fakeSecretBox);
    const cursors = signedCursors(async (ws) => (await keys.forWorkspace(ws)).cursorSecret);

    const cursor = await cursors.encode(workspace, 'cohorts', { pk: 'x' });

    expect(await cursors.decode(workspace, 'cohorts', cursor)).toEqual({ ok: true, key: { pk: 'x' } });
    expect(await cursors.decode(other, 'cohorts', cursor)).toEqual({ ok: false });
    expect(await cursors.decode(workspace, 'members', cursor)).toEqual({ ok: false });
  });

  it('a workspace without a key keeps the old derivations until the migration; then old import ids still verify, new ones need the key', async () => {
    const { store, workspace } = await setup();
    const { signingKey: _key, ...before } = workspace;
    store.records.set(workspace.workspaceId, before);
    const keys = signingKeys(fakeSecretBox);
    const legacyScope = importIdScope(await keys.forWorkspace(before));
    const oldId = issueImportId(legacyScope, 'c', clock.now() - 60_000);
    const forgedLater = issueImportId(legacyScope, 'c', clock.now() + 60_000);

    const migrated = await issueMissingSigningKeys({ store, secrets: fakeSecretBox, clock });
    const again = await issueMissingSigningKeys({ store, secrets: fakeSecretBox, clock });
    const scope = importIdScope(await keys.forWorkspace((await store.get(workspace.workspaceId))!));

    expect(migrated).toEqual({ issued: 1, had: 1 });
    expect(again).toEqual({ issued: 0, had: 2 });
    expect(verifyImportId(scope, 'c', oldId)).toBe(true);
    expect(verifyImportId(scope, 'c', forgedLater)).toBe(false);
    expect(verifyImportId(scope, 'c', issueImportId(scope, 'c', clock.now() + 60_000))).toBe(true);
  });
});
