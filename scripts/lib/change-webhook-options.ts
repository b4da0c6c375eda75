/**
 * The change webhook flags of `workspace set` (docs/events.md), read into the change the domain
 * validates (`configureChangeWebhook`). The secret takes a value, `-` (stdin) or `@<file>`, like
 * `--abtasty-client-secret` (`readSecretOption`).
 */
import type { ChangeWebhookUpdate } from '../../functions/domain/change-webhook-config';
import { readSecretOption } from './abtasty-options';

export interface ChangeWebhookFlags {
  readonly 'change-webhook-url'?: string;
  readonly 'change-webhook-secret'?: string;
  readonly 'change-webhook-disable'?: boolean;
  readonly 'change-webhook-enable'?: boolean;
}

export const CHANGE_WEBHOOK_FLAGS = {
  'change-webhook-url': { type: 'string' },
  'change-webhook-secret': { type: 'string' },
  'change-webhook-disable': { type: 'boolean' },
  'change-webhook-enable': { type: 'boolean' },
} as const;

/** The change the flags ask for, or undefined when no webhook flag was given; throws for contradictory flags. */
export const changeWebhookUpdateFrom = async (flags: ChangeWebhookFlags, secret: (raw: string) => Promise<string> = (raw) => readSecretOption(raw)): Promise<ChangeWebhookUpdate | undefined> => {
  if (flags['change-webhook-disable'] && flags['change-webhook-enable']) throw new Error('--change-webhook-enable and --change-webhook-disable contradict each other');
  const update: { -readonly [K in keyof ChangeWebhookUpdate]: ChangeWebhookUpdate[K] } = {};
  if (flags['change-webhook-url'] !== undefined) update.url = flags['change-webhook-url'];
  if (flags['change-webhook-secret'] !== undefined) update.secret = await secret(flags['change-webhook-secret']);
  if (flags['change-webhook-disable']) update.enabled = false;
  if (flags['change-webhook-enable']) update.enabled = true;
  return Object.keys(update).length > 0 ? update : undefined;
};
