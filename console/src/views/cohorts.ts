/** Cohorts and segments: the list, one cohort's imports over time (chart), one import's report, members paged. */
import { useState } from 'preact/hooks';
import { query, request, type Session } from '../api';
import { ErrorBox, Loading, PagedList, html, useLoad, usePaged, when } from '../ui';

interface Cohort { id: string; name: string; source_partner: string | null; updated_at: string | null; created_at: string | null; member_count: number }
interface ImportReport { import_id: string; status: string; received_at: string; partner: string | null; type: string | null; received?: { total: number }; matched?: number; unmatched?: number; added?: number; removed?: number; unmatched_by_reason?: Record<string, Record<string, number>> }
interface Member { braze_id: string; external_id: string | null }

const ImportChart = ({ imports }: { imports: ImportReport[] }) => {
  const points = [...imports].reverse().filter((each) => each.type !== 'cohort' && each.received !== undefined);
  if (points.length === 0) return null;
  const max = Math.max(1, ...points.map((each) => (each.matched ?? 0) + (each.unmatched ?? 0)));
  const width = 600, height = 160, step = width / points.length, bar = Math.max(2, step * 0.7);
  return html`<figure class="chart" data-testid="import-chart">
    <svg viewBox=${`0 0 ${width} ${height + 20}`} role="img" aria-label=${`Matched and unmatched identifiers of the last ${points.length} imports, oldest first`}>
      ${points.map((each, index) => {
        const matched = ((each.matched ?? 0) / max) * height;
        const unmatched = ((each.unmatched ?? 0) / max) * height;
        const x = index * step + (step - bar) / 2;
        return html`<g><title>${`${when(each.received_at)}: ${each.received?.total ?? 0} received, ${each.matched ?? 0} matched, ${each.unmatched ?? 0} unmatched`}</title>
          <rect class="matched" x=${x} y=${height - matched} width=${bar} height=${matched} />
          <rect class="unmatched" x=${x} y=${height - matched - unmatched} width=${bar} height=${unmatched} /></g>`;
      })}
      <line x1="0" y1=${height} x2=${width} y2=${height} stroke="#555" />
    </svg>
    <figcaption class="legend"><span><span class="swatch matched"></span>matched</span><span><span class="swatch unmatched"></span>unmatched</span><span>max ${max} per import</span></figcaption>
  </figure>`;
};

const Report = ({ session, cohortId, importId }: { session: Session; cohortId: string; importId: string }) => {
  const [loaded] = useLoad(() => request<ImportReport>(`v1/cohorts/${encodeURIComponent(cohortId)}/imports/${encodeURIComponent(importId)}`, session.apiKey), [cohortId, importId]);
  if (loaded.state === 'loading') return html`<${Loading} what="the import report" />`;
  if (loaded.state === 'error') return html`<${ErrorBox} message=${loaded.message} />`;
  const report = loaded.value;
  const reasons = Object.entries(report.unmatched_by_reason ?? {}).flatMap(([kind, byReason]) => Object.entries(byReason).filter(([, count]) => count > 0).map(([reason, count]) => ({ kind, reason, count })));
  return html`<section class="card" data-testid="import-report"><h3>Import ${report.import_id}</h3>
    <p>Status <strong>${report.status}</strong> · received ${when(report.received_at)} · ${report.type ?? ''} ${report.partner ? `from ${report.partner}` : ''}</p>
    <p>Received ${report.received?.total ?? 0} · matched ${report.matched ?? 0} · unmatched ${report.unmatched ?? 0} · added ${report.added ?? 0} · removed ${report.removed ?? 0}</p>
    ${reasons.length > 0 ? html`<table><thead><tr><th>Identifier kind</th><th>Unmatched because</th><th>Count</th></tr></thead><tbody>${reasons.map((each) => html`<tr><td>${each.kind}</td><td>${each.reason}</td><td>${each.count}</td></tr>`)}</tbody></table>` : html`<p class="muted">Nothing unmatched.</p>`}
  </section>`;
};

const CohortDetail = ({ session, cohort }: { session: Session; cohort: Cohort }) => {
  const [importId, setImportId] = useState<string | undefined>();
  const base = `v1/cohorts/${encodeURIComponent(cohort.id)}`;
  const imports = usePaged<ImportReport>(async (cursor) => {
    const page = await request<{ imports: ImportReport[]; next_cursor: string | null }>(`${base}/imports${query({ limit: '50', cursor })}`, session.apiKey);
    return { items: page.imports, next: page.next_cursor };
  }, [cohort.id]);
  const members = usePaged<Member>(async (cursor) => {
    const page = await request<{ members: Member[]; next_cursor: string | null }>(`${base}/members${query({ limit: '50', cursor })}`, session.apiKey);
    return { items: page.members, next: page.next_cursor };
  }, [cohort.id]);
  return html`<section data-testid="cohort-detail"><h2>${cohort.name}</h2>
    <p class="muted">${cohort.member_count} members · source ${cohort.source_partner ?? '—'} · last change ${when(cohort.updated_at)}</p>
    <div class="grid2"><div><h3>Imports over time</h3><${ImportChart} imports=${imports.page.items} />
      <${PagedList} page=${imports.page} more=${imports.more} what="imports" render=${(items: ImportReport[]) => html`<div class="scroll"><table><thead><tr><th>Received</th><th>Status</th><th>Received ids</th><th>Matched</th><th>Unmatched</th></tr></thead><tbody>${items.map((each) => html`<tr><td><button type="button" class="link" onClick=${() => setImportId(each.import_id)}>${when(each.received_at)}</button></td><td>${each.status}</td><td>${each.received?.total ?? '—'}</td><td>${each.matched ?? '—'}</td><td>${each.unmatched ?? '—'}</td></tr>`)}</tbody></table></div>`} />
      ${importId ? html`<${Report} session=${session} cohortId=${cohort.id} importId=${importId} />` : null}</div>
    <div><h3>Members</h3><${PagedList} page=${members.page} more=${members.more} what="members" render=${(items: Member[]) => html`<div class="scroll"><table data-testid="members"><thead><tr><th>braze_id</th><th>external_id</th></tr></thead><tbody>${items.map((each) => html`<tr><td>${each.braze_id}</td><td>${each.external_id ?? '—'}</td></tr>`)}</tbody></table></div>`} /></div></div>
  </section>`;
};

export const CohortsView = ({ session }: { session: Session }) => {
  const [selected, setSelected] = useState<Cohort | undefined>();
  const cohorts = usePaged<Cohort>(async (cursor) => {
    const page = await request<{ cohorts: Cohort[]; next_cursor: string | null }>(`v1/cohorts${query({ limit: '50', cursor })}`, session.apiKey);
    return { items: page.cohorts, next: page.next_cursor };
  }, [session.apiKey]);
  return html`<h2>Cohorts and segments</h2>
    <${PagedList} page=${cohorts.page} more=${cohorts.more} what="cohorts" render=${(items: Cohort[]) => html`<div class="scroll"><table data-testid="cohorts"><thead><tr><th>Cohort</th><th>Members</th><th>Source</th><th>Last change</th></tr></thead><tbody>${items.map((each) => html`<tr><td><button type="button" class="link" onClick=${() => setSelected(each)}>${each.name}</button></td><td>${each.member_count}</td><td>${each.source_partner ?? '—'}</td><td>${when(each.updated_at)}</td></tr>`)}</tbody></table></div>`} />
    ${selected ? html`<${CohortDetail} session=${session} cohort=${selected} />` : null}`;
};
