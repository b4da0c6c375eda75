/**
 * The console's one way to the hub: same-origin requests to the public API with the workspace's
 * apiKey (reads) or consoleAdminKey (changing actions), both kept in sessionStorage only.
 */
export interface Session {
  readonly apiKey: string;
  readonly adminKey?: string;
}

const SESSION_KEY = 'hub-console-session';

export const loadSession = (): Session | undefined => {
  const raw = sessionStorage.getItem(SESSION_KEY);
  if (!raw) return undefined;
  const parsed = JSON.parse(raw) as Partial<Session>;
  return typeof parsed.apiKey === 'string' ? { apiKey: parsed.apiKey, ...(parsed.adminKey ? { adminKey: parsed.adminKey } : {}) } : undefined;
};

export const saveSession = (session: Session | undefined): void => {
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
};

/** The API base: the page is `<base>console`, so `/prod/console` → `/prod/`. */
export const apiBase = (): string => location.pathname.replace(/console\/?$/, '');

/** The deployment's absolute API URL (what partners paste). */
export const publicBase = (): string => `${location.origin}${apiBase()}`;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** True when the route itself is missing on this deployment (the router's bare 404). */
export const isMissingRoute = (error: unknown): boolean => error instanceof ApiError && error.status === 404 && error.message === 'Not found';

export const request = async <T>(path: string, token: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
  const response = await fetch(`${apiBase()}${path}`, {
    method: init.method ?? 'GET',
    headers: { Authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await response.text();
  const body = text ? (JSON.parse(text) as unknown) : {};
  if (!response.ok) {
    const message = typeof body === 'object' && body !== null && 'message' in body ? String(body.message) : `HTTP ${response.status}`;
    throw new ApiError(response.status, message);
  }
  return body as T;
};

/** A partner probe: a raw POST with the partner's own credential, answered with its status and body. */
export const probe = async (path: string, init: { headers: Record<string, string>; body: string }): Promise<{ status: number; text: string }> => {
  const response = await fetch(`${apiBase()}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...init.headers }, body: init.body });
  return { status: response.status, text: await response.text() };
};

export const query = (params: Record<string, string | undefined>): string => {
  const entries = Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '');
  return entries.length > 0 ? `?${new URLSearchParams(entries).toString()}` : '';
};
