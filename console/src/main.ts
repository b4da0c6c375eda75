/** The console: sign-in, then four views over the public API. */
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { loadSession, request, saveSession, type Session } from './api';
import { ErrorBox, html } from './ui';
import { CohortsView } from './views/cohorts';
import { ConnectionsView } from './views/connections';
import { DeliveriesView } from './views/deliveries';
import { TraceView } from './views/trace';

const VIEWS = { connections: 'Connections', cohorts: 'Cohorts and segments', trace: 'Trace', deliveries: 'Deliveries and health' } as const;
type ViewKey = keyof typeof VIEWS;

const SignIn = ({ onSignedIn }: { onSignedIn: (session: Session) => void }) => {
  const [apiKey, setApiKey] = useState('');
  const [adminKey, setAdminKey] = useState('');
  const [state, setState] = useState<{ busy: boolean; error?: string }>({ busy: false });
  const submit = (event: Event) => {
    event.preventDefault();
    setState({ busy: true });
    // The key is checked by a read before anything is shown; a wrong key reads nothing.
    request('v1/connections', apiKey.trim()).then(
      () => onSignedIn({ apiKey: apiKey.trim(), ...(adminKey.trim() ? { adminKey: adminKey.trim() } : {}) }),
      (error: Error) => setState({ busy: false, error: error.message === 'Unauthorized access' ? 'Wrong API key: nothing was read.' : error.message }),
    );
  };
  return html`<main class="signin"><form class="card" onSubmit=${submit} data-testid="signin">
    <h2>Sign in</h2>
    <label for="api-key">Workspace apiKey</label><input id="api-key" type="password" autocomplete="off" required value=${apiKey} onInput=${(e: Event) => setApiKey((e.target as HTMLInputElement).value)} />
    <label for="admin-key">consoleAdminKey (optional, for rotation)</label><input id="admin-key" type="password" autocomplete="off" value=${adminKey} onInput=${(e: Event) => setAdminKey((e.target as HTMLInputElement).value)} />
    <p class="muted">Kept in this tab's session storage only.</p>
    <button type="submit" disabled=${state.busy}>Sign in</button>
    ${state.error ? html`<${ErrorBox} message=${state.error} />` : null}
  </form></main>`;
};

const App = () => {
  const [session, setSession] = useState<Session | undefined>(loadSession());
  const [view, setView] = useState<ViewKey>('connections');
  const change = (next: Session | undefined) => {
    saveSession(next);
    setSession(next);
  };
  if (!session) return html`<header><h1>Audience hub</h1></header><${SignIn} onSignedIn=${change} />`;
  const onRotated = (kind: string, value: string) => {
    if (kind === 'apiKey') change({ ...session, apiKey: value });
    if (kind === 'consoleAdminKey') change({ ...session, adminKey: value });
  };
  return html`<header><h1>Audience hub</h1>
      <nav aria-label="Views">${(Object.keys(VIEWS) as ViewKey[]).map((key) => html`<button type="button" data-view=${key} aria-current=${view === key ? 'page' : undefined} onClick=${() => setView(key)}>${VIEWS[key]}</button>`)}</nav>
      <span class="who"><button type="button" class="secondary" onClick=${() => change(undefined)}>Sign out</button></span>
    </header>
    <main data-view=${view}>
      ${view === 'connections' ? html`<${ConnectionsView} session=${session} onRotated=${onRotated} />` : null}
      ${view === 'cohorts' ? html`<${CohortsView} session=${session} />` : null}
      ${view === 'trace' ? html`<${TraceView} session=${session} />` : null}
      ${view === 'deliveries' ? html`<${DeliveriesView} session=${session} />` : null}
    </main>`;
};

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
