/** Shared fixtures for the HTTP API tests: an in-memory Store, a recording logger, a ready app, sign-in. */
import { ManualClock, silentLogger } from '../src/core/index.js';
import type { AuditEntry, Logger, Store } from '../src/core/index.js';
import { createApiApp } from '../src/api/index.js';
import { MemoryMeshState } from '../src/mesh/index.js';
import type {
  ApiApp,
  ApiInit,
  ErrorEnvelope,
  LoginTokenResponse,
  NodeStatusInfo,
  UiSessionResponse,
} from '../src/api/index.js';

export const OWNER_TOKEN = 'owner-token-for-tests-0123456789abcdef';
export const BEARER = { Authorization: `Bearer ${OWNER_TOKEN}` };
export const STARTED_AT_MS = Date.UTC(2025, 0, 1);

/** A Store that keeps audit entries and key/values in memory. */
export function memoryStore(): Store & { readonly entries: AuditEntry[] } {
  const entries: AuditEntry[] = [];
  const kv = new Map<string, unknown>();
  return {
    entries,
    audit: {
      append(entry) {
        const full = { ...entry, id: entries.length + 1 };
        entries.push(full);
        return full;
      },
      query: () => [...entries].reverse(),
      prune: () => 0,
    },
    kv: {
      get: <T>(key: string) => kv.get(key) as T | undefined,
      set: (key, value) => {
        kv.set(key, value);
      },
      delete: (key) => kv.delete(key),
    },
    mesh: new MemoryMeshState(),
    schemaVersion: () => 1,
    close: () => {},
  };
}

export interface LoggedLine {
  level: string;
  fields: Record<string, unknown>;
  msg: string;
}

/** A logger that appends every line to `lines`. */
export function recordingLogger(lines: LoggedLine[]): Logger {
  const at =
    (level: string) =>
    (a: string | Record<string, unknown>, b?: string): void => {
      lines.push(typeof a === 'string' ? { level, fields: {}, msg: a } : { level, fields: a, msg: b ?? '' });
    };
  const logger: Logger = {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

export function testStatus(clock: ManualClock): NodeStatusInfo {
  return {
    nodeId: '12D3KooWTestNode',
    name: 'test-node',
    version: '0.1.0',
    commit: 'abc1234',
    state: 'started',
    running: true,
    pid: 4242,
    apiUrl: 'http://127.0.0.1:7470',
    uiUrl: 'http://127.0.0.1:7470/ui/',
    startedAt: new Date(STARTED_AT_MS).toISOString(),
    uptimeSeconds: Math.floor((clock.now() - STARTED_AT_MS) / 1000),
    meshes: [],
    peers: [],
  };
}

/** An app with a manual clock and a memory store; process metrics off unless `init` turns them on. */
export function setupApi(init: ApiInit = {}, options: { logger?: Logger } = {}) {
  const clock = new ManualClock(STARTED_AT_MS);
  const store = memoryStore();
  const api: ApiApp = createApiApp(
    {
      logger: options.logger ?? silentLogger(),
      clock,
      ownerToken: OWNER_TOKEN,
      status: () => testStatus(clock),
      store,
    },
    { collectProcessMetrics: false, ...init },
  );
  return { api, app: api.app, clock, store };
}

export async function errorOf(res: Response): Promise<ErrorEnvelope['error']> {
  const body = (await res.json()) as ErrorEnvelope;
  return body.error;
}

export function sessionCookieFrom(res: Response): string {
  const header = res.headers.get('set-cookie') ?? '';
  const match = /atmosphere_session=([^;]+)/.exec(header);
  if (!match?.[1]) throw new Error(`no session cookie in ${JSON.stringify(header)}`);
  return `atmosphere_session=${match[1]}`;
}

/** The whole sign-in: the owner asks for a login token, the browser trades it for a cookie. */
export async function signIn(app: ApiApp['app']): Promise<{ cookie: string; csrfToken: string }> {
  const issued = (await (
    await app.request('/api/ui/login-tokens', { method: 'POST', headers: BEARER })
  ).json()) as LoginTokenResponse;
  const login = await app.request(`/ui/login?token=${issued.token}`);
  const cookie = sessionCookieFrom(login);
  const session = (await (
    await app.request('/api/ui/session', { headers: { Cookie: cookie } })
  ).json()) as UiSessionResponse;
  return { cookie, csrfToken: session.csrfToken };
}
