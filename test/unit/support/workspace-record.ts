import type { WorkspaceRecord } from '../../../functions/schemas/workspace';

/** A stored workspace record for unit tests (hashes and ciphertext are placeholders). */
export const workspaceRecord = (overrides: Partial<WorkspaceRecord> = {}): WorkspaceRecord => ({
  workspaceId: 'ws0123456789abcdef',
  name: 'acme',
  partnerName: 'hub',
  createdAt: '2026-01-01T00:00:00.000Z',
  credentialHashes: { partnerApiKey: 'h1', dataImportKey: 'h2', currentsToken: 'h3', abTastyToken: 'h4', apiKey: 'h5' },
  heapWebhookSecretCiphertext: 'cipher-1',
  partnerKeyPolicy: 'any',
  partnerKeyHashes: {},
  heapIdTokensSeen: [],
  ...overrides,
});
