/** The change webhook flags of `workspace set` (scripts/lib/change-webhook-options.ts): what they ask the domain to change. */
import { changeWebhookUpdateFrom } from '../../scripts/lib/change-webhook-options';
import { readSecretOption } from '../../scripts/lib/abtasty-options';

describe('change webhook flags', () => {
  it('are absent when no webhook flag is given', async () => {
    expect(await changeWebhookUpdateFrom({})).toBeUndefined();
  });

  it('read the secret the way --abtasty-client-secret does (value, - for stdin, @file), dropping one trailing line break', async () => {
    const secret = (raw: string) => readSecretOption(raw, () => Promise.resolve('from-stdin-secret-value\n'), () => 'from-file-secret-value\n');
    expect(await changeWebhookUpdateFrom({ 'change-webhook-url': 'https://h.example/x', 'change-webhook-secret': '-' }, secret)).toEqual({ url: 'https://h.example/x', secret: 'from-stdin-secret-value' });
    expect(await changeWebhookUpdateFrom({ 'change-webhook-secret': '@/tmp/s' }, secret)).toEqual({ secret: 'from-file-secret-value' });
    expect(await changeWebhookUpdateFrom({ 'change-webhook-secret': 'inline-secret-value' }, secret)).toEqual({ secret: 'inline-secret-value' });
  });

  it('turn the webhook off and on, and refuse both at once', async () => {
    expect(await changeWebhookUpdateFrom({ 'change-webhook-disable': true })).toEqual({ enabled: false });
    expect(await changeWebhookUpdateFrom({ 'change-webhook-enable': true })).toEqual({ enabled: true });
    await expect(changeWebhookUpdateFrom({ 'change-webhook-enable': true, 'change-webhook-disable': true })).rejects.toThrow('contradict');
  });
});
