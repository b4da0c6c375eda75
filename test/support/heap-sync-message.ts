/** A heapSync queue message (a sync page part by default) for worker tests; fields overridable. */
import { changeVersion } from '../../functions/domain/membership';
import type { HeapSyncMessage } from '../../functions/schemas/heap';

export const heapSyncMessage = (overrides: Partial<HeapSyncMessage> = {}): HeapSyncMessage => ({
  dedupeKey: 'heap#ws#run#1#0',
  type: 'sync',
  workspaceId: 'ws',
  segmentId: '42',
  segmentName: 'Segment',
  version: changeVersion(2000, 'run#000001'),
  receivedAt: '2026-01-01T00:00:02.000Z',
  syncTaskId: 'run',
  pageNumber: 1,
  totalPages: 1,
  part: 0,
  parts: 1,
  add: [],
  remove: [],
  round: 0,
  ...overrides,
});
