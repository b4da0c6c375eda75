/** Read API over the events table (workspace `apiKey`): routes in http/events.ts, logic in domain/events-reads.ts. */
import { itemEvent } from '../adapters/events-store';
import { eventReads, heapRejects as heapRejectStore, workspaceStore } from '../adapters/stores';
import type { EventsReadDeps } from '../domain/events-reads';
import { systemClock } from '../domain/ports';
import { httpRouter } from '../shared/router';
import { eventsRoutes } from './http/events';
import { cursorCodec } from './http/signing';

let deps: EventsReadDeps | undefined;
const eventsDeps = (): EventsReadDeps => {
  if (deps) return deps;
  const events = eventReads();
  const heapRejects = heapRejectStore();
  const decoded = async (page: Promise<{ items: Record<string, unknown>[]; nextKey?: Record<string, unknown> }>) => {
    const { items, nextKey } = await page;
    return { items: items.map(itemEvent), nextKey };
  };
  deps = {
    reads: {
      userEvents: (...args) => decoded(events.userEvents(...args)),
      typeEvents: (...args) => decoded(events.typeEvents(...args)),
      currentsRejects: (...args) => events.rejects(...args),
      heapRejects: (...args) => heapRejects.page(...args),
    },
    cursors: cursorCodec(),
  };
  return deps;
};

export const handler = httpRouter('eventsApi', eventsRoutes(eventsDeps, workspaceStore), { clock: systemClock });
