import { hashSecret } from '../../../functions/shared/crypto';
import type { WorkspaceRecord } from '../../../functions/schemas/workspace';

/** The data import key and the partner's own key whose hashes the test workspace record holds. */
export const DATA_IMPORT_KEY = 'hub_dik_test-data-import-key';
export const PARTNER_KEY = 'braze-issued-partner-key';
/** The Segment Webhooks (Actions) bearer token whose hash the test workspace record holds. */
export const SEGMENT_TOKEN = 'hub_seg_test-segment-token';

/**
 * The one stored workspace record of the unit tests: its credential hashes are the hashes of known
 * test credentials (so authentication can succeed), the Heap secret ciphertext is a placeholder.
 */
export const workspaceRecord = (overrides: Partial<WorkspaceRecord> = {}): WorkspaceRecord => ({
  workspaceId: 'ws0123456789abcdef',
  name: 'acme',
  partnerName: 'segment',
  createdAt: '2026-01-01T00:00:00.000Z',
  credentialHashes: {
    dataImportKey: hashSecret(DATA_IMPORT_KEY),
    apiKey: hashSecret('hub_api_test'),
    partnerApiKey: hashSecret('hub_pk_test'),
    currentsToken: hashSecret('hub_cur_test'),
    abTastyToken: hashSecret('hub_abt_test'),
    segmentToken: hashSecret(SEGMENT_TOKEN),
  },
  credentialCiphertexts: { heapWebhookSecret: 'cipher-1' },
  partnerKeyPolicy: 'any',
  partnerKeyHashes: {},
  heapIdTokensSeen: [],
  ...overrides,
});
