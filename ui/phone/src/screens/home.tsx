/**
 * Home: where this phone stands in words (connected, unreachable and retrying, removed), the
 * mesh, this phone's node id (short, the full id on tap), the members it sees with transport and
 * round-trip time, and leaving the mesh.
 */
import type { ReactElement } from 'react';
import { useState } from 'react';
import { ScreenTitle } from '../app.js';
import type { PhoneMesh, PhoneMeshPeer, PhoneMeshStatus } from '../contract.js';
import { errorText, shortId } from '../format.js';

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The banner's headline and explanation for a state. */
export function stateText(status: PhoneMeshStatus): { headline: string; explanation: string } {
  const online = status.peers.filter((p) => p.connected).length;
  switch (status.state) {
    case 'connected':
      return {
        headline: 'Connected',
        explanation: `${count(online, 'member', 'members')} reachable. The mesh can use what you share on the Capabilities screen.`,
      };
    case 'connecting':
      return { headline: 'Connecting…', explanation: 'Reaching the members of the mesh.' };
    case 'unreachable':
      return {
        headline: 'Mesh unreachable',
        explanation: 'No member answers right now; retrying in the background.',
      };
    case 'revoked':
      return {
        headline: 'This phone was removed from the mesh',
        explanation: 'An admin revoked its membership: it no longer serves or uses the mesh.',
      };
    case 'not-joined':
      return { headline: 'Not joined', explanation: 'This phone is not a member of a mesh yet.' };
  }
}

function PeerItem(props: { peer: PhoneMeshPeer }): ReactElement {
  const { peer } = props;
  const link = peer.connected
    ? [peer.transport ?? 'connected', peer.rttMs === null ? null : `${Math.round(peer.rttMs)} ms`]
        .filter((part) => part !== null)
        .join(' · ')
    : 'not connected';
  return (
    <li className={peer.connected ? 'peer online' : 'peer offline'}>
      <span className="peer-name">{peer.name || shortId(peer.nodeId)}</span>
      <span className="peer-link">{link}</span>
      <span className="peer-caps muted">{count(peer.capabilityCount, 'capability', 'capabilities')}</span>
    </li>
  );
}

export function HomeScreen(props: { mesh: PhoneMesh; status: PhoneMeshStatus }): ReactElement {
  const { mesh, status } = props;
  const [fullId, setFullId] = useState(false);
  const [confirmLeave, setConfirmLeave] = useState(false);
  const [leaving, setLeaving] = useState(false);
  const [leaveError, setLeaveError] = useState<string | null>(null);
  const { headline, explanation } = stateText(status);

  const leave = (): void => {
    setLeaving(true);
    setLeaveError(null);
    mesh.leave().then(
      () => {
        setLeaving(false);
        setConfirmLeave(false);
      },
      (err: unknown) => {
        setLeaving(false);
        setLeaveError(errorText(err));
      },
    );
  };

  return (
    <>
      <ScreenTitle>Home</ScreenTitle>
      <section className={`banner state-${status.state}`} role="status" aria-live="polite">
        <strong className="banner-headline">{headline}</strong>
        <span className="banner-explanation">{explanation}</span>
        {status.detail !== null && <span className="banner-detail">{status.detail}</span>}
      </section>

      <section className="card" aria-labelledby="this-phone">
        <h2 id="this-phone">This phone</h2>
        <dl className="facts">
          {status.meshes.map((m) => (
            <div key={m.id}>
              <dt>Mesh</dt>
              <dd>
                {m.name} <span className="muted">({m.role})</span>
              </dd>
            </div>
          ))}
          {status.nodeId !== null && (
            <div>
              <dt>Node id</dt>
              <dd>
                <button
                  type="button"
                  className="link node-id"
                  aria-expanded={fullId}
                  aria-label={fullId ? `Node id ${status.nodeId}` : 'Node id, show in full'}
                  onClick={() => setFullId((f) => !f)}
                >
                  <code>{fullId ? status.nodeId : shortId(status.nodeId)}</code>
                </button>
              </dd>
            </div>
          )}
        </dl>
      </section>

      <section className="card" aria-labelledby="members">
        <h2 id="members">Members</h2>
        {status.peers.length === 0 ? (
          <p className="muted">No other member seen yet.</p>
        ) : (
          <ul className="peers">
            {status.peers.map((peer) => (
              <PeerItem key={peer.nodeId} peer={peer} />
            ))}
          </ul>
        )}
      </section>

      <section className="card" aria-labelledby="leave">
        <h2 id="leave">{status.state === 'revoked' ? 'Start over' : 'Leave'}</h2>
        {!confirmLeave ? (
          <button type="button" className="secondary" onClick={() => setConfirmLeave(true)}>
            {status.state === 'revoked' ? 'Forget this mesh' : 'Leave mesh'}
          </button>
        ) : (
          <div className="confirm">
            <p>This phone stops serving the mesh and needs a new invite to come back.</p>
            <div className="actions">
              <button type="button" className="danger" disabled={leaving} onClick={leave}>
                {leaving ? 'Leaving…' : 'Leave'}
              </button>
              <button type="button" className="secondary" onClick={() => setConfirmLeave(false)}>
                Cancel
              </button>
            </div>
          </div>
        )}
        {leaveError !== null && (
          <p className="error" role="alert">
            {leaveError}
          </p>
        )}
      </section>
    </>
  );
}
