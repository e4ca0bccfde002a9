/** Small text helpers for the phone's screens. */

/** An error's message for the owner (the runtime's errors already read as sentences). */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A long id shortened to its start and end: `12D3KooWAbcd…x9Yz`. */
export function shortId(id: string): string {
  return id.length <= 20 ? id : `${id.slice(0, 12)}…${id.slice(-6)}`;
}

/** A clock time for today's events, with the date for older ones. */
export function timeText(atMs: number, nowMs: number): string {
  const at = new Date(atMs);
  const sameDay = new Date(nowMs).toDateString() === at.toDateString();
  return sameDay
    ? at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    : at.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** An invite from the location's fragment: `#join=<token>` or `#join=atmosphere://join/…`, else ''. */
export function inviteFromHash(hash: string): string {
  const match = /^#?join=(.+)$/s.exec(hash);
  if (match === null) return '';
  const raw = match[1]!;
  try {
    return decodeURIComponent(raw).trim();
  } catch {
    return raw.trim();
  }
}
