/** Trace: an identifier (and a cohort) → the profile, its cohorts and events, and the trace route's timeline where the deployment has it. */
import { useState } from 'preact/hooks';
import { isMissingRoute, query, request, type Session } from '../api';
import { ErrorBox, Loading, html, when } from '../ui';

const KINDS = ['external_id', 'braze_id', 'device_id'] as const;

interface Lookup { kind: string; value: string; cohortId: string }
interface Profile { braze_id: string; external_id?: string | null; cohorts?: { id?: string; cohort_id?: string; name?: string }[] }
type Found = { profile?: Profile; profileError?: string; trace?: unknown; traceMissing: boolean; traceError?: string; events: { time?: string; type?: string }[] };

interface TraceFlip { direction?: string; version?: string; changed_at?: string; source?: Record<string, unknown> | null }
interface TraceDocument { resolution?: { status?: string; braze_id?: string | null; via?: unknown }; membership?: { member?: boolean; version?: string | null }; flips?: TraceFlip[] }

/** What a flip's source says, in words: its kind and the ids that name it (import, sync task, merge). */
const sourceText = (source: TraceFlip['source']): string =>
  source ? Object.entries(source).map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`).join(' · ') : 'source unknown';

/** The trace as a timeline: the resolution, then every applied flip oldest first, then where it stands now. */
const timelineOf = (trace: unknown): { at: string; text: string }[] => {
  if (typeof trace !== 'object' || trace === null) return [];
  const doc = trace as TraceDocument;
  const flips = (doc.flips ?? []).map((flip) => ({ at: flip.changed_at ?? '', text: `${flip.direction ?? '?'} (version ${flip.version ?? '?'}) — ${sourceText(flip.source)}` }));
  const resolution = { at: '', text: `resolves: ${doc.resolution?.status ?? 'unknown'}${doc.resolution?.braze_id ? ` → ${doc.resolution.braze_id}` : ''}` };
  const now = { at: '', text: doc.membership?.member ? `now a member (version ${doc.membership.version ?? '?'})` : 'now not a member' };
  return [resolution, ...flips, now];
};

const run = async (session: Session, lookup: Lookup): Promise<Found> => {
  const found: Found = { traceMissing: false, events: [] };
  await request<Profile>(`v1/users${query({ [lookup.kind]: lookup.value })}`, session.apiKey).then((profile) => { found.profile = profile; }, (error: Error) => { found.profileError = error.message; });
  if (found.profile) {
    const events = await request<{ events?: { time?: string; type?: string }[] }>(`v1/users/${encodeURIComponent(found.profile.braze_id)}/events${query({ limit: '50' })}`, session.apiKey).catch(() => ({ events: [] }));
    found.events = events.events ?? [];
  }
  await request<unknown>(`v1/trace${query({ cohort_id: lookup.cohortId, [lookup.kind]: lookup.value })}`, session.apiKey).then(
    (trace) => { found.trace = trace; },
    (error: unknown) => { if (isMissingRoute(error)) found.traceMissing = true; else found.traceError = (error as Error).message; },
  );
  return found;
};

const Result = ({ found }: { found: Found }) => {
  const timeline = timelineOf(found.trace);
  return html`<section class="card" data-testid="trace-result">
    <h3>Profile</h3>
    ${found.profile ? html`<p>braze_id <code>${found.profile.braze_id}</code> · external_id <code>${found.profile.external_id ?? '—'}</code></p><p>Cohorts: ${(found.profile.cohorts ?? []).map((each) => each.name ?? each.id ?? each.cohort_id).join(', ') || 'none'}</p>` : html`<${ErrorBox} message=${found.profileError ?? 'No profile'} />`}
    <h3>Trace</h3>
    ${found.traceMissing ? html`<p class="status empty" data-state="unavailable" data-testid="trace-unavailable">The trace route is not available on this deployment.</p>` : null}
    ${found.traceError ? html`<${ErrorBox} message=${found.traceError} />` : null}
    ${found.trace !== undefined ? html`<ol class="timeline" data-testid="trace-timeline">${timeline.map((entry) => html`<li>${entry.at ? html`<strong>${when(entry.at)}</strong><br />` : null}${entry.text}</li>`)}</ol><details><summary>Trace document</summary><pre>${JSON.stringify(found.trace, null, 2)}</pre></details>` : null}
    <h3>Currents events</h3>
    ${found.events.length > 0 ? html`<ol class="timeline">${found.events.map((event) => html`<li><strong>${when(event.time)}</strong> ${event.type ?? ''}</li>`)}</ol>` : html`<p class="status empty">No stored events.</p>`}
  </section>`;
};

export const TraceView = ({ session }: { session: Session }) => {
  const [lookup, setLookup] = useState<Lookup>({ kind: 'external_id', value: '', cohortId: '' });
  const [state, setState] = useState<{ loading: boolean; found?: Found }>({ loading: false });
  const submit = (event: Event) => {
    event.preventDefault();
    setState({ loading: true });
    void run(session, lookup).then((found) => setState({ loading: false, found }));
  };
  const field = (name: keyof Lookup) => (event: Event) => setLookup({ ...lookup, [name]: (event.target as HTMLInputElement).value });
  return html`<h2>Trace</h2>
    <form class="row" onSubmit=${submit}>
      <div><label for="trace-kind">Identifier</label><select id="trace-kind" value=${lookup.kind} onChange=${field('kind')}>${KINDS.map((kind) => html`<option value=${kind}>${kind}</option>`)}</select></div>
      <div><label for="trace-value">Value</label><input id="trace-value" value=${lookup.value} onInput=${field('value')} required /></div>
      <div><label for="trace-cohort">Cohort id</label><input id="trace-cohort" value=${lookup.cohortId} onInput=${field('cohortId')} /></div>
      <button type="submit">Trace</button>
    </form>
    ${state.loading ? html`<${Loading} what="the trace" />` : state.found ? html`<${Result} found=${state.found} />` : html`<p class="status empty">Enter an identifier to trace.</p>`}`;
};
