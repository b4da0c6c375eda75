/**
 * A local fake of AB Tasty's public API token route and Universal Data Connector, enforcing the
 * documented contract (docs/abtasty-delivery.md): client-credentials grant with a JSON body →
 * a random bearer token with `expires_in`; the UDC route shape, a live bearer token, content type
 * `text/csv` or `application/json`, the CSV header, the visitor-id pattern and the value charset.
 * It records every request (headers included, for assertions) and answers scripted failures
 * (401 / 429 with Retry-After / 500 / anything) on demand. Listens on 127.0.0.1, port 0.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  status: number;
  answer: string;
}

export interface ScriptedAnswer {
  readonly status: number;
  readonly retryAfter?: string;
  readonly message?: string;
}

export interface AcceptedUpload {
  readonly account: string;
  readonly partner: string;
  readonly token: string;
  readonly rows: readonly { visitor_id: string; segment?: string; value?: string }[];
}

export interface FakeAbTasty {
  readonly url: string;
  readonly tokenUrl: string;
  readonly udcUrl: string;
  readonly requests: RecordedRequest[];
  readonly accepted: AcceptedUpload[];
  /** Every token issued, in order. */
  readonly issued: string[];
  grants(): RecordedRequest[];
  uploads(): RecordedRequest[];
  /** Answers for the next UDC uploads, in order (after the body is read, before it is checked). */
  failUploads(...answers: ScriptedAnswer[]): void;
  failGrants(...answers: ScriptedAnswer[]): void;
  /** Every issued token stops working (the next upload with one gets 401). */
  revokeTokens(): void;
  close(): Promise<void>;
}

/** The documented rules, written independently of the hub's own code. */
export const FAKE_VISITOR_ID = /^[a-z0-9-]{1,32}$/i;
export const FAKE_VALUE = /^(?:[A-Za-z0-9]|[$€£[\]{}&(§!)\-_%=+:/.?<>@#]|[À-ÿ])+$/iu;
const UDC_PATH = /^\/accounts\/([^/]+)\/segments\/([^/]+)$/;
const CSV_COLUMNS = new Set(['visitor_id', 'segment', 'value']);

const readBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

type Rows = AcceptedUpload['rows'];
type Parsed = { rows: Rows } | { error: string };

const checkRow = (row: Rows[number], where: string): string | undefined => {
  if (!FAKE_VISITOR_ID.test(row.visitor_id ?? '')) return `${where}: visitor_id ${JSON.stringify(row.visitor_id)} does not match (?i)^[a-z0-9-]{1,32}$`;
  if (row.segment !== undefined && !FAKE_VALUE.test(row.segment)) return `${where}: segment ${JSON.stringify(row.segment)} has refused characters`;
  if (row.value !== undefined && row.value !== '' && !FAKE_VALUE.test(row.value)) return `${where}: value ${JSON.stringify(row.value)} has refused characters`;
  return undefined;
};

const parseCsv = (text: string): Parsed => {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const header = (lines.shift() ?? '').split(',');
  if (!header.includes('visitor_id') || header.some((column) => !CSV_COLUMNS.has(column)) || new Set(header).size !== header.length) {
    return { error: `bad CSV header ${JSON.stringify(header.join(','))}: expected visitor_id and optional segment, value` };
  }
  const rows: Rows[number][] = [];
  for (const [index, line] of lines.entries()) {
    const fields = line.split(',');
    if (fields.length !== header.length) return { error: `line ${index + 2}: ${fields.length} fields, header has ${header.length}` };
    const row = Object.fromEntries(header.map((column, at) => [column, fields[at]])) as Rows[number];
    const problem = checkRow(row, `line ${index + 2}`);
    if (problem) return { error: problem };
    rows.push(row);
  }
  return { rows };
};

const parseJson = (text: string): Parsed => {
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch {
    return { error: 'body is not JSON' };
  }
  if (!Array.isArray(rows)) return { error: 'JSON body must be an array of rows' };
  for (const [index, row] of (rows as Rows[number][]).entries()) {
    const problem = checkRow(row ?? {}, `row ${index}`);
    if (problem) return { error: problem };
  }
  return { rows: rows as Rows };
};

interface FakeState {
  readonly clients: Readonly<Record<string, string>>;
  readonly lifetimeSeconds: number;
  readonly live: Map<string, number>;
  readonly issued: string[];
  readonly uploadScript: ScriptedAnswer[];
  readonly grantScript: ScriptedAnswer[];
  readonly accepted: AcceptedUpload[];
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

const scripted = (answer: ScriptedAnswer): Answer => ({
  status: answer.status,
  body: { message: answer.message ?? `scripted ${answer.status}` },
  ...(answer.retryAfter === undefined ? {} : { headers: { 'Retry-After': answer.retryAfter } }),
});

const grantAnswer = (state: FakeState, request: IncomingMessage, body: string): Answer => {
  const next = state.grantScript.shift();
  if (next) return scripted(next);
  if (!(request.headers['content-type'] ?? '').startsWith('application/json')) return { status: 415, body: { error: 'invalid_request', error_description: 'Content-Type must be application/json' } };
  let grant: { client_id?: unknown; client_secret?: unknown; grant_type?: unknown };
  try {
    grant = JSON.parse(body) as typeof grant;
  } catch {
    return { status: 400, body: { error: 'invalid_request' } };
  }
  if (grant.grant_type !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
  const expected = typeof grant.client_id === 'string' ? state.clients[grant.client_id] : undefined;
  if (expected === undefined || grant.client_secret !== expected) return { status: 401, body: { error: 'invalid_client' } };
  const token = randomBytes(24).toString('hex');
  state.live.set(token, Date.now() + state.lifetimeSeconds * 1000);
  state.issued.push(token);
  return { status: 200, body: { access_token: token, expires_in: state.lifetimeSeconds, token_type: 'bearer', scope: 'segments' } };
};

const uploadAnswer = (state: FakeState, request: IncomingMessage, path: string, body: string): Answer => {
  const route = UDC_PATH.exec(path);
  if (!route || request.method !== 'POST') return { status: 404, body: { message: 'Not found' } };
  const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
  const expiresAt = token === undefined ? undefined : state.live.get(token);
  if (token === undefined || expiresAt === undefined || expiresAt <= Date.now()) return { status: 401, body: { message: 'Unauthorized' } };
  const next = state.uploadScript.shift();
  if (next) return scripted(next);
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim();
  if (type !== 'text/csv' && type !== 'application/json') return { status: 415, body: { message: `Content-Type ${type} not accepted: text/csv, application/json` } };
  const parsed = type === 'text/csv' ? parseCsv(body) : parseJson(body);
  if ('error' in parsed) return { status: 400, body: { message: parsed.error } };
  state.accepted.push({ account: decodeURIComponent(route[1]!), partner: decodeURIComponent(route[2]!), token, rows: parsed.rows });
  return { status: 200, body: { message: 'OK', rows: parsed.rows.length } };
};

export const startFakeAbTasty = async (options: { clients: Record<string, string>; tokenLifetimeSeconds?: number }): Promise<FakeAbTasty> => {
  const state: FakeState = {
    clients: options.clients, lifetimeSeconds: options.tokenLifetimeSeconds ?? 43_200, live: new Map(), issued: [],
    uploadScript: [], grantScript: [], accepted: [],
  };
  const requests: RecordedRequest[] = [];
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const body = await readBody(request);
    const record: RecordedRequest = { at: Date.now(), method: request.method ?? '', path, headers: request.headers, body, status: 0, answer: '' };
    requests.push(record);
    const answer = path === '/oauth/v2/token' && request.method === 'POST' ? grantAnswer(state, request, body) : uploadAnswer(state, request, path, body);
    record.status = answer.status;
    record.answer = JSON.stringify(answer.body);
    response.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers }).end(record.answer);
  };
  const server = createServer((request, response) => void handle(request, response).catch(() => response.writeHead(500).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, tokenUrl: `${url}/oauth/v2/token`, udcUrl: url, requests, accepted: state.accepted, issued: state.issued,
    grants: () => requests.filter((request) => request.path === '/oauth/v2/token'),
    uploads: () => requests.filter((request) => request.path !== '/oauth/v2/token'),
    failUploads: (...answers) => void state.uploadScript.push(...answers),
    failGrants: (...answers) => void state.grantScript.push(...answers),
    revokeTokens: () => state.live.clear(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
};
