import type { Clock } from '../core/index.js';
import { digestSecret, newSecret, secretsEqual } from './secrets.js';

export const DEFAULT_LOGIN_TOKEN_TTL_MS = 120_000;
export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Outstanding login tokens / live sessions kept at most; the oldest goes first. */
export const MAX_LOGIN_TOKENS = 64;
export const MAX_UI_SESSIONS = 64;

export interface UiSession {
  /** Sent as `X-Atmosphere-CSRF` with state-changing requests. */
  readonly csrfToken: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
}

export interface IssuedLoginToken {
  readonly token: string;
  readonly expiresAtMs: number;
}

export type RedeemResult =
  | { readonly ok: true; readonly sessionSecret: string; readonly session: UiSession }
  | { readonly ok: false; readonly reason: 'unknown' | 'expired' };

export interface UiSessionsInit {
  /** How long a one-time login token can be redeemed; default 120 s. */
  loginTokenTtlMs?: number;
  /** How long a web panel session lasts from login; default 12 h. */
  sessionTtlMs?: number;
}

/**
 * One-time login tokens and the web panel sessions they open. Kept in memory only: a restarted node
 * forgets every session (and rewrites its owner token), so the owner signs in again with `atmosphere ui`.
 * Tokens and session ids are stored only as SHA-256 digests.
 */
export class UiSessions {
  readonly loginTokenTtlMs: number;
  readonly sessionTtlMs: number;
  private readonly clock: Clock;
  private readonly loginTokens = new Map<string, number>();
  private readonly sessions = new Map<string, UiSession>();

  constructor(components: { clock: Clock }, init: UiSessionsInit = {}) {
    this.clock = components.clock;
    this.loginTokenTtlMs = init.loginTokenTtlMs ?? DEFAULT_LOGIN_TOKEN_TTL_MS;
    this.sessionTtlMs = init.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  }

  issueLoginToken(): IssuedLoginToken {
    this.prune();
    const token = newSecret();
    const expiresAtMs = this.clock.now() + this.loginTokenTtlMs;
    this.loginTokens.set(digestSecret(token), expiresAtMs);
    dropOldest(this.loginTokens, MAX_LOGIN_TOKENS);
    return { token, expiresAtMs };
  }

  /** Spends a login token (whatever the outcome, it cannot be used again) and opens a session. */
  redeemLoginToken(token: string): RedeemResult {
    const key = digestSecret(token);
    const expiresAtMs = this.loginTokens.get(key);
    if (expiresAtMs === undefined) return { ok: false, reason: 'unknown' };
    this.loginTokens.delete(key);
    const now = this.clock.now();
    if (now >= expiresAtMs) return { ok: false, reason: 'expired' };
    this.prune();
    const sessionSecret = newSecret();
    const session: UiSession = {
      csrfToken: newSecret(),
      createdAtMs: now,
      expiresAtMs: now + this.sessionTtlMs,
    };
    this.sessions.set(digestSecret(sessionSecret), session);
    dropOldest(this.sessions, MAX_UI_SESSIONS);
    return { ok: true, sessionSecret, session };
  }

  /** The live session for a cookie value, if any. */
  findSession(sessionSecret: string): UiSession | undefined {
    const key = digestSecret(sessionSecret);
    const session = this.sessions.get(key);
    if (session === undefined) return undefined;
    if (this.clock.now() >= session.expiresAtMs) {
      this.sessions.delete(key);
      return undefined;
    }
    return session;
  }

  endSession(sessionSecret: string): boolean {
    return this.sessions.delete(digestSecret(sessionSecret));
  }

  /** Constant-time check of a CSRF header against the session's token. */
  csrfMatches(session: UiSession, header: string | undefined): boolean {
    return header !== undefined && header !== '' && secretsEqual(header, session.csrfToken);
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [key, expiresAtMs] of this.loginTokens) if (now >= expiresAtMs) this.loginTokens.delete(key);
    for (const [key, session] of this.sessions) if (now >= session.expiresAtMs) this.sessions.delete(key);
  }
}

function dropOldest<V>(map: Map<string, V>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
}
