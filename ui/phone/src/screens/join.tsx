/**
 * Join: the invite comes from the link that opened the app (`#join=<token>`) or is pasted; "Join
 * mesh" hands it to the runtime, which verifies it offline and redeems it with a member. The
 * fragment is removed from the address once the phone has joined, so the token is not kept in
 * the history or in a home-screen shortcut.
 */
import type { FormEvent, ReactElement } from 'react';
import { useEffect, useRef, useState } from 'react';
import { ScreenTitle } from '../app.js';
import type { PhoneMesh, PhoneMeshStatus } from '../contract.js';
import { errorText, inviteFromHash } from '../format.js';

export interface JoinScreenProps {
  readonly mesh: PhoneMesh;
  readonly status: PhoneMeshStatus;
  /** Called after the runtime accepted the invite. */
  readonly onJoined?: () => void;
}

export function JoinScreen(props: JoinScreenProps): ReactElement {
  const { mesh, status, onJoined } = props;
  const [invite, setInvite] = useState(() => inviteFromHash(window.location.hash));
  const [joining, setJoining] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const running = useRef<AbortController | null>(null);

  useEffect(() => () => running.current?.abort(), []);

  useEffect(() => {
    const onHash = (): void => {
      const fromLink = inviteFromHash(window.location.hash);
      if (fromLink !== '') setInvite(fromLink);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const join = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const token = invite.trim();
    if (token === '' || joining) return;
    const controller = new AbortController();
    running.current = controller;
    setJoining(true);
    setError(null);
    try {
      await mesh.join(token, { signal: controller.signal });
      if (inviteFromHash(window.location.hash) !== '') {
        window.history.replaceState(
          window.history.state,
          '',
          window.location.pathname + window.location.search,
        );
      }
      onJoined?.();
    } catch (err) {
      if (!controller.signal.aborted) setError(errorText(err));
    } finally {
      if (running.current === controller) running.current = null;
      setJoining(false);
    }
  };

  return (
    <>
      <ScreenTitle>Join a mesh</ScreenTitle>
      <p>
        Open an invite link made on one of your devices (<code>atmosphere invite</code>, or the control
        panel&apos;s Mesh page), or paste the invite here. This phone then shares only what you allow on the
        Capabilities screen.
      </p>
      <form className="card" onSubmit={(e) => void join(e)}>
        <label className="field">
          <span className="field-label">Invite</span>
          <textarea
            rows={4}
            value={invite}
            onChange={(e) => setInvite(e.target.value)}
            placeholder="atmosphere://join/…"
            autoCapitalize="off"
            autoCorrect="off"
            spellCheck={false}
          />
        </label>
        <button type="submit" className="wide" disabled={joining || invite.trim() === ''}>
          {joining ? 'Joining…' : 'Join mesh'}
        </button>
      </form>
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {error === null && status.detail !== null && <p className="muted">{status.detail}</p>}
    </>
  );
}
