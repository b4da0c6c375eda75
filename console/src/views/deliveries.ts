/** Deliveries and health: AB Tasty and webhook deliveries, queue and DLQ depths, recent Currents and Heap rejects. */
import { query, request, type Session } from '../api';
import { ErrorBox, Loading, PagedList, html, useLoad, usePaged, when } from '../ui';

interface QueueDepth { queue: string; visible: number; inFlight: number; dlqVisible: number | null }
type Row = Record<string, unknown>;

const cell = (value: unknown): string => (value === undefined || value === null ? '—' : typeof value === 'string' ? value : JSON.stringify(value));

/** A paged list of JSON rows from `path`, whose page carries the rows under `field`. */
const RowList = ({ session, path, field, what, columns }: { session: Session; path: string; field: string; what: string; columns: string[] }) => {
  const paged = usePaged<Row>(async (cursor) => {
    const page = await request<Record<string, unknown>>(`${path}${query({ limit: '20', cursor })}`, session.apiKey);
    const rows = page[field];
    return { items: Array.isArray(rows) ? (rows as Row[]) : [], next: typeof page.next_cursor === 'string' ? page.next_cursor : null };
  }, [path]);
  return html`<section data-list=${what}><h3>${what}</h3><${PagedList} page=${paged.page} more=${paged.more} what=${what} render=${(items: Row[]) => html`<div class="scroll"><table><thead><tr>${columns.map((column) => html`<th>${column}</th>`)}</tr></thead><tbody>${items.map((row) => html`<tr>${columns.map((column) => html`<td>${column.endsWith('_at') ? when(row[column] as string) : cell(row[column])}</td>`)}</tr>`)}</tbody></table></div>`} /></section>`;
};

const Queues = ({ session }: { session: Session }) => {
  const [loaded, reload] = useLoad(() => request<{ queues: QueueDepth[] }>('v1/queues', session.apiKey), [session.apiKey]);
  return html`<section data-testid="queues"><h3>Queues and dead-letter queues <button type="button" class="secondary" onClick=${reload}>Refresh</button></h3>
    ${loaded.state === 'loading' ? html`<${Loading} what="queue depths" />` : loaded.state === 'error' ? html`<${ErrorBox} message=${loaded.message} missing=${loaded.missing} />` : html`<div class="scroll"><table><thead><tr><th>Queue</th><th>Waiting</th><th>In flight</th><th>DLQ</th></tr></thead><tbody>${loaded.value.queues.map((each) => html`<tr><td>${each.queue}</td><td>${each.visible}</td><td>${each.inFlight}</td><td>${each.dlqVisible ?? '—'}</td></tr>`)}</tbody></table></div>`}
  </section>`;
};

export const DeliveriesView = ({ session }: { session: Session }) => html`<h2>Deliveries and health</h2>
  <${Queues} session=${session} />
  <${RowList} session=${session} path="v1/destinations/abtasty/deliveries" field="deliveries" what="AB Tasty deliveries" columns=${['requested_at', 'outcome', 'rows', 'attempts', 'status', 'message']} />
  <${RowList} session=${session} path="v1/destinations/webhook/deliveries" field="deliveries" what="Webhook deliveries" columns=${['started_at', 'outcome', 'changes', 'first_event_id', 'last_event_id', 'attempts']} />
  <${RowList} session=${session} path="v1/currents/rejects" field="rejects" what="Currents rejects" columns=${['received_at', 'reason', 'event_type']} />
  <${RowList} session=${session} path="v1/heap/rejects" field="rejects" what="Heap rejects" columns=${['received_at', 'reason']} />`;
