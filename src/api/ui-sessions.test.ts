import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/index.js';
import { MAX_LOGIN_TOKENS, MAX_UI_SESSIONS, UiSessions } from './ui-sessions.js';

describe('UiSessions', () => {
  it('redeems a login token once, then reports it unknown', () => {
    const sessions = new UiSessions({ clock: new ManualClock(1_000) });
    const { token, expiresAtMs } = sessions.issueLoginToken();
    expect(expiresAtMs).toBe(121_000);
    const first = sessions.redeemLoginToken(token);
    expect(first.ok).toBe(true);
    expect(sessions.redeemLoginToken(token)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('reports an expired token as expired and spends it', () => {
    const clock = new ManualClock(0);
    const sessions = new UiSessions({ clock }, { loginTokenTtlMs: 10 });
    const { token } = sessions.issueLoginToken();
    clock.advance(10);
    expect(sessions.redeemLoginToken(token)).toEqual({ ok: false, reason: 'expired' });
    expect(sessions.redeemLoginToken(token)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('keeps at most the newest login tokens and sessions', () => {
    const sessions = new UiSessions({ clock: new ManualClock(0) });
    const tokens = Array.from({ length: MAX_LOGIN_TOKENS + 1 }, () => sessions.issueLoginToken().token);
    expect(sessions.redeemLoginToken(tokens[0]!).ok).toBe(false);
    expect(sessions.redeemLoginToken(tokens[1]!).ok).toBe(true);

    const secrets: string[] = [];
    for (let i = 0; i < MAX_UI_SESSIONS + 1; i++) {
      const result = sessions.redeemLoginToken(sessions.issueLoginToken().token);
      if (result.ok) secrets.push(result.sessionSecret);
    }
    expect(sessions.findSession(secrets[0]!)).toBeUndefined();
    expect(sessions.findSession(secrets.at(-1)!)).toBeDefined();
  });

  it('checks the CSRF token of a session and nothing else', () => {
    const sessions = new UiSessions({ clock: new ManualClock(0) });
    const result = sessions.redeemLoginToken(sessions.issueLoginToken().token);
    if (!result.ok) throw new Error('redeem failed');
    expect(sessions.csrfMatches(result.session, result.session.csrfToken)).toBe(true);
    expect(sessions.csrfMatches(result.session, undefined)).toBe(false);
    expect(sessions.csrfMatches(result.session, '')).toBe(false);
    expect(sessions.csrfMatches(result.session, result.sessionSecret)).toBe(false);
  });
});
