/** Shared pieces: htm bound to Preact, the loading / error / empty states, a paged list hook, a copy button. */
import { h, type ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import htm from 'htm';
import { isMissingRoute } from './api';

export const html = htm.bind(h);

export type Load<T> = { state: 'loading' } | { state: 'error'; message: string; missing: boolean } | { state: 'ready'; value: T };

/** Runs `load` when `deps` change; `reload` runs it again. */
export const useLoad = <T>(load: () => Promise<T>, deps: readonly unknown[]): [Load<T>, () => void] => {
  const [result, setResult] = useState<Load<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setResult({ state: 'loading' });
    load().then(
      (value) => live && setResult({ state: 'ready', value }),
      (error: unknown) => live && setResult({ state: 'error', message: (error as Error).message, missing: isMissingRoute(error) }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return [result, useCallback(() => setTick((value) => value + 1), [])];
};

export interface PagedState<T> {
  readonly items: T[];
  readonly next: string | null;
  readonly loading: boolean;
  readonly error?: string;
  readonly missing?: boolean;
}

/** A list read page by page (`next_cursor`); `more` appends the next page. */
export const usePaged = <T>(fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; next: string | null }>, deps: readonly unknown[]) => {
  const [page, setPage] = useState<PagedState<T>>({ items: [], next: null, loading: true });
  const loadFrom = (cursor: string | undefined, keep: T[]) => {
    setPage({ items: keep, next: null, loading: true });
    fetchPage(cursor).then(
      (result) => setPage({ items: [...keep, ...result.items], next: result.next, loading: false }),
      (error: unknown) => setPage({ items: keep, next: null, loading: false, error: (error as Error).message, missing: isMissingRoute(error) }),
    );
  };
  useEffect(() => loadFrom(undefined, []), deps);
  return { page, more: () => loadFrom(page.next ?? undefined, page.items) };
};

export const Loading = ({ what }: { what: string }) => html`<p class="loading" role="status">Loading ${what}…</p>`;
export const ErrorBox = ({ message, missing }: { message: string; missing?: boolean }) =>
  missing ? html`<p class="status empty" data-state="unavailable">Not available on this deployment.</p>` : html`<p class="status error" role="alert">${message}</p>`;
export const Empty = ({ children }: { children: ComponentChildren }) => html`<p class="status empty" data-state="empty">${children}</p>`;

/** A list's states around its rows, and a "Load more" button while pages remain. */
export const PagedList = <T>({ page, more, what, render }: { page: PagedState<T>; more: () => void; what: string; render: (items: T[]) => ComponentChildren }) => html`
  ${page.items.length > 0 ? render(page.items) : null}
  ${page.loading ? html`<${Loading} what=${what} />` : null}
  ${page.error !== undefined ? html`<${ErrorBox} message=${page.error} missing=${page.missing} />` : null}
  ${!page.loading && page.error === undefined && page.items.length === 0 ? html`<${Empty}>No ${what} yet.<//>` : null}
  ${page.next && !page.loading ? html`<button class="secondary" onClick=${more}>Load more ${what}</button>` : null}
`;

export const CopyButton = ({ value, label }: { value: string; label: string }) => {
  const [done, setDone] = useState(false);
  const copy = () => void navigator.clipboard?.writeText(value).then(() => setDone(true), () => setDone(false));
  return html`<button class="secondary" type="button" aria-label=${`Copy ${label}`} onClick=${copy}>${done ? 'Copied' : 'Copy'}</button>`;
};

export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');
