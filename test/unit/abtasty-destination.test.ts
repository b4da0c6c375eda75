import { abTastyClientSecret, configureAbTasty, describeAbTasty, type AbTastyUpdate } from '../../functions/domain/abtasty-destination';
import { fakeSecretBox, memoryWorkspaceStore } from './fakes/workspaces';
import { workspaceRecord } from './fakes/workspace-record';

const full: AbTastyUpdate = { account: 'acc-42', partner: 'heaphub', clientId: 'client-1', clientSecret: 'the-client-secret' };

const setup = async () => {
  const store = memoryWorkspaceStore();
  await store.create(workspaceRecord({ workspaceId: 'ws-a', name: 'a' }));
  await store.create(workspaceRecord({ workspaceId: 'ws-b', name: 'b' }));
  const configure = async (name: 'ws-a' | 'ws-b', update: AbTastyUpdate) => configureAbTasty({ store, secrets: fakeSecretBox }, (await store.get(name))!, update);
  return { store, configure };
};

describe('configuring a workspace\'s AB Tasty destination', () => {
  it('stores a new destination (all segments, enabled) with the client secret encrypted for this workspace, and shows it without the secret', async () => {
    const { store, configure } = await setup();

    const result = await configure('ws-a', full);

    expect(result).toEqual({ ok: true, destination: { account: 'acc-42', partner: 'heaphub', clientId: 'client-1', clientSecret: 'set', segments: 'all', enabled: true } });
    const stored = (await store.get('ws-a'))!.abTasty!;
    expect(JSON.stringify(stored)).not.toContain('the-client-secret');
    expect(await abTastyClientSecret(fakeSecretBox, 'ws-a', stored)).toBe('the-client-secret');
    // Bound to its workspace: the ciphertext does not open as another workspace's.
    await expect(abTastyClientSecret(fakeSecretBox, 'ws-b', stored)).rejects.toThrow();
    expect(JSON.stringify(describeAbTasty(stored))).not.toContain('ciphertext');
  });

  it('refuses a new destination without account, partner, client id and secret, writing nothing', async () => {
    const { store, configure } = await setup();

    const result = await configure('ws-a', { account: 'acc-42', clientId: 'c' });

    expect(result).toEqual({ ok: false, problems: ['a new AB Tasty destination needs --abtasty-partner, --abtasty-client-secret'] });
    expect((await store.get('ws-a'))!.abTasty).toBeUndefined();
  });

  it('changes only what is given: segments, value, enabled; the secret stays unless replaced', async () => {
    const { store, configure } = await setup();
    await configure('ws-a', full);
    const before = (await store.get('ws-a'))!.abTasty!;

    const listed = await configure('ws-a', { segments: ['4242', '7', '4242'], value: 'vip' });
    const disabled = await configure('ws-a', { enabled: false });
    const cleared = await configure('ws-a', { value: null, enabled: true });

    expect(listed).toMatchObject({ ok: true, destination: { segments: ['4242', '7'], value: 'vip', enabled: true } });
    expect(disabled).toMatchObject({ ok: true, destination: { segments: ['4242', '7'], value: 'vip', enabled: false } });
    expect(cleared).toMatchObject({ ok: true, destination: { segments: ['4242', '7'], enabled: true } });
    expect(cleared.ok && 'value' in cleared.destination).toBe(false);
    expect((await store.get('ws-a'))!.abTasty!.clientSecretCiphertext).toBe(before.clientSecretCiphertext);
  });

  it('names every problem at once and writes nothing: bad account, value AB Tasty would refuse (with the nearest it accepts), bad segment id, client id', async () => {
    const { store, configure } = await setup();
    await configure('ws-a', full);
    const before = structuredClone((await store.get('ws-a'))!.abTasty);

    const result = await configure('ws-a', { account: 'a/b', value: 'two words, café', segments: ['42', 'no spaces'], clientId: 'has space' });

    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([
      'account must be 1-128 letters, digits, ".", "_" or "-"',
      'value has characters AB Tasty refuses; "two_words_café" is the nearest value it accepts',
      'client id must be 1-256 printable characters without spaces',
      'segment id "no spaces" is not a Heap segment id',
    ]);
    expect((await store.get('ws-a'))!.abTasty).toEqual(before);
  });

  it('refuses a second workspace pushing to the same account and partner (each push would replace the other\'s segments)', async () => {
    const { configure } = await setup();
    await configure('ws-a', full);

    const shared = await configure('ws-b', { ...full, clientSecret: 'other-secret' });
    const otherPartner = await configure('ws-b', { ...full, partner: 'heaphub-b' });

    expect(shared).toEqual({ ok: false, problems: ['workspace "a" already pushes to account acc-42, partner heaphub: one workspace per partner'] });
    expect(otherPartner.ok).toBe(true);
  });

  it('refuses an empty client secret (an empty file or stdin)', async () => {
    const { configure } = await setup();

    expect(await configure('ws-a', { ...full, clientSecret: '' })).toEqual({ ok: false, problems: ['client secret must be 1-1024 characters'] });
  });
});
