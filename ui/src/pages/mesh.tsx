/**
 * Mesh: the live topology (polled every 2 s), every peer with its transport, round-trip time and —
 * for peers that are not connected — why; each mesh's members with Revoke for admins; invites with
 * a QR code and a copyable link; founding a mesh and joining one with an invite.
 */
import type { FormEvent, ReactElement } from 'react';
import { useState } from 'react';
import { errorText } from '../api.js';
import { PageTitle } from '../app.js';
import { QrCode } from '../components/qr-code.js';
import { Topology, linkText } from '../components/topology.js';
import { ago } from '../format.js';
import { useApi, useLoad } from '../hooks.js';
import type { CreatedInvite, MeshInfo, MeshMemberInfo, MeshOverview, NodeStatusInfo } from '../types.js';

const POLL_MS = 2000;

const REASONS: Record<string, string> = {
  unreachable: 'its addresses do not answer (offline, another network, or a firewall)',
  not_member: 'it is not a member of a mesh this node belongs to',
  revoked: 'its membership was revoked',
  incompatible_version: 'it runs a protocol version this node does not speak',
};

export function MeshPage(): ReactElement {
  const api = useApi();
  const overview = useLoad(
    async (signal) => {
      const [mesh, status] = await Promise.all([
        api.get<MeshOverview>('/api/mesh', { signal }),
        api.get<NodeStatusInfo>('/api/status', { signal }),
      ]);
      const members = await Promise.all(
        mesh.meshes.map((m) =>
          api
            .get<{ members: MeshMemberInfo[] }>(`/api/meshes/${encodeURIComponent(m.meshId)}/members`, {
              signal,
            })
            .then((r) => [m.meshId, r.members] as const),
        ),
      );
      const byMesh: Record<string, MeshMemberInfo[]> = Object.fromEntries(members);
      return { mesh, status, members: byMesh };
    },
    { pollMs: POLL_MS },
  );

  if (overview.data === null) {
    return (
      <>
        <PageTitle>Mesh</PageTitle>
        {overview.error ? <p role="alert">Could not load: {overview.error}</p> : <p>Loading…</p>}
      </>
    );
  }
  const { mesh, status, members } = overview.data;
  const down = mesh.peers.filter((p) => !p.connected);

  return (
    <>
      <PageTitle>Mesh</PageTitle>
      {overview.error && (
        <p className="error" role="alert">
          Live updates failed: {overview.error}
        </p>
      )}
      <section className="card" aria-labelledby="topology-title">
        <h2 id="topology-title">Topology</h2>
        <Topology self={{ nodeId: mesh.nodeId, name: status.name }} peers={mesh.peers} />
        <div className="table-scroll">
          <table className="peers">
            <caption>Peers this node knows</caption>
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">Link</th>
                <th scope="col">Capabilities</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {mesh.peers.length === 0 && (
                <tr>
                  <td colSpan={4}>No peers yet: invite a device below, or join a mesh with an invite.</td>
                </tr>
              )}
              {mesh.peers.map((p) => (
                <tr key={p.nodeId} data-peer={p.nodeId}>
                  <td>
                    {p.name}
                    <br />
                    <code className="small">{p.nodeId}</code>
                  </td>
                  <td>{linkText(p)}</td>
                  <td>{p.capabilityCount}</td>
                  <td>{p.lastSeenMs === null ? 'never' : ago(p.lastSeenMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {down.length > 0 && (
          <div aria-labelledby="why-title">
            <h3 id="why-title">Why peers are not connected</h3>
            <ul>
              {down.map((p) => (
                <li key={p.nodeId}>
                  <strong>{p.name}</strong>: {REASONS[p.reason ?? ''] ?? p.reason ?? 'not known yet'}
                  {p.detail ? ` — ${p.detail}` : ''}
                  {p.addresses.length > 0 ? ` (tried ${p.addresses.join(', ')})` : ''}
                </li>
              ))}
            </ul>
          </div>
        )}
      </section>

      {mesh.meshes.map((m) => (
        <MeshCard key={m.meshId} mesh={m} members={members[m.meshId] ?? []} onChanged={overview.reload} />
      ))}
      {mesh.meshes.length === 0 && <p>This node is not in a mesh yet.</p>}
      <CreateOrJoin onChanged={overview.reload} />
    </>
  );
}

function MeshCard(props: { mesh: MeshInfo; members: MeshMemberInfo[]; onChanged: () => void }): ReactElement {
  const api = useApi();
  const { mesh } = props;
  const admin = mesh.role === 'admin';
  const [confirming, setConfirming] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const revoke = async (member: MeshMemberInfo): Promise<void> => {
    setError(null);
    try {
      await api.json('POST', `/api/meshes/${encodeURIComponent(mesh.meshId)}/revocations`, {
        body: { nodeId: member.nodeId, reason: 'revoked from the web panel' },
      });
      setNotice(`${member.name} was revoked from ${mesh.name}.`);
      setConfirming(null);
      props.onChanged();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <section className="card" aria-labelledby={`mesh-${mesh.meshId}`}>
      <h2 id={`mesh-${mesh.meshId}`}>
        Mesh “{mesh.name}” <span className="muted small">({mesh.meshId})</span>
      </h2>
      <p className="muted">
        You are {mesh.role}
        {mesh.founder ? ' and its founder' : ''}; {mesh.memberCount} member(s).
      </p>
      <div className="table-scroll">
        <table className="members">
          <caption>Members</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">State</th>
              {admin && <th scope="col">Action</th>}
            </tr>
          </thead>
          <tbody>
            {props.members.map((m) => (
              <tr key={m.nodeId}>
                <td>
                  {m.name}
                  {m.self ? ' (this node)' : ''}
                </td>
                <td>{m.role}</td>
                <td>
                  {m.revoked ? 'revoked' : m.self ? 'here' : m.connected ? 'connected' : 'not connected'}
                </td>
                {admin && (
                  <td>
                    {!m.self && !m.revoked && confirming !== m.nodeId && (
                      <button type="button" className="danger" onClick={() => setConfirming(m.nodeId)}>
                        Revoke {m.name}
                      </button>
                    )}
                    {confirming === m.nodeId && (
                      <span role="group" aria-label={`Confirm revoking ${m.name}`}>
                        <button type="button" className="danger" onClick={() => void revoke(m)}>
                          Yes, revoke {m.name}
                        </button>{' '}
                        <button type="button" className="secondary" onClick={() => setConfirming(null)}>
                          Keep
                        </button>
                      </span>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {notice && (
        <p className="success" role="status">
          {notice}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {admin ? <InviteForm mesh={mesh} /> : <p className="muted">Only admins can invite and revoke.</p>}
    </section>
  );
}

/** The invite as the node answers it: with the phone app links (`/phone/#join=…`) when it serves them. */
type PhoneInvite = CreatedInvite & { phoneLinks?: string[]; phoneLocalOnly?: boolean };

function phoneLink(invite: PhoneInvite): string | null {
  return invite.phoneLinks?.[0] ?? null;
}

function InviteForm(props: { mesh: MeshInfo }): ReactElement {
  const api = useApi();
  const [role, setRole] = useState<'member' | 'admin'>('member');
  const [uses, setUses] = useState('1');
  const [hours, setHours] = useState('24');
  const [invite, setInvite] = useState<PhoneInvite | null>(null);
  const [forPhone, setForPhone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setCopied(null);
    try {
      const created = await api.json<PhoneInvite>(
        'POST',
        `/api/meshes/${encodeURIComponent(props.mesh.meshId)}/invites`,
        { body: { role, uses: Number(uses), ttlSeconds: Math.round(Number(hours) * 3600) } },
      );
      setInvite(created);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const copy = (text: string, what: string): void => {
    navigator.clipboard.writeText(text).then(
      () => setCopied(`${what} copied`),
      () => setCopied(`could not copy: select the ${what.toLowerCase()} and copy it yourself`),
    );
  };

  return (
    <div className="invite">
      <h3>Invite a device</h3>
      <form onSubmit={(e) => void submit(e)} className="inline-form">
        <label>
          Role{' '}
          <select value={role} onChange={(e) => setRole(e.target.value as 'member' | 'admin')}>
            <option value="member">member</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <label>
          Uses{' '}
          <input type="number" min={1} max={1000} value={uses} onChange={(e) => setUses(e.target.value)} />
        </label>
        <label>
          Valid for (hours){' '}
          <input type="number" min={1} max={720} value={hours} onChange={(e) => setHours(e.target.value)} />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create invite'}
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {invite && (
        <div className="invite-result" aria-live="polite">
          {forPhone && phoneLink(invite) !== null ? (
            <QrCode
              text={phoneLink(invite) ?? ''}
              label={`QR code of the phone link to ${invite.meshName}`}
            />
          ) : (
            <QrCode text={invite.link} label={`QR code of the invite to ${invite.meshName}`} />
          )}
          <div>
            <p>
              Invite to “{invite.meshName}” as {invite.role}, {invite.maxUses} use(s), valid until{' '}
              {new Date(invite.expiresAtMs).toLocaleString()}.{' '}
              {forPhone ? (
                <>On the phone, scan the code with the camera and tap “Join mesh”.</>
              ) : (
                <>
                  On the other device run <code>atmosphere join &lt;token&gt;</code> or scan the code.
                </>
              )}
            </p>
            {phoneLink(invite) !== null && (
              <label className="checkbox">
                <input type="checkbox" checked={forPhone} onChange={(e) => setForPhone(e.target.checked)} />{' '}
                For a phone (opens the phone app in its browser)
              </label>
            )}
            {forPhone && invite.phoneLocalOnly === true && (
              <p className="muted">
                This node’s API listens on loopback only, so a phone cannot open the link yet: set{' '}
                <code>api.host</code> and HTTPS (see docs/PHONE.md).
              </p>
            )}
            {forPhone && phoneLink(invite) !== null && (
              <label className="field">
                <span className="field-label">Phone link</span>
                <input readOnly value={phoneLink(invite) ?? ''} onFocus={(e) => e.target.select()} />
              </label>
            )}
            <label className="field">
              <span className="field-label">Invite link</span>
              <input readOnly value={invite.link} onFocus={(e) => e.target.select()} />
            </label>
            <label className="field">
              <span className="field-label">Invite token</span>
              <input
                readOnly
                value={invite.token}
                data-testid="invite-token"
                onFocus={(e) => e.target.select()}
              />
            </label>
            <div className="actions">
              <button type="button" className="secondary" onClick={() => copy(invite.link, 'Link')}>
                Copy link
              </button>
              <button type="button" className="secondary" onClick={() => copy(invite.token, 'Token')}>
                Copy token
              </button>
            </div>
            {copied && <p role="status">{copied}</p>}
          </div>
        </div>
      )}
    </div>
  );
}

function CreateOrJoin(props: { onChanged: () => void }): ReactElement {
  const api = useApi();
  const [name, setName] = useState('');
  const [token, setToken] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (event: FormEvent, action: () => Promise<string>): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      setMessage({ ok: true, text: await action() });
      props.onChanged();
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="more-meshes">
      <h2 id="more-meshes">Found or join a mesh</h2>
      <form
        className="inline-form"
        onSubmit={(e) =>
          void run(e, async () => {
            const created = await api.json<{ meshId: string; name: string }>('POST', '/api/meshes', {
              body: { name },
            });
            setName('');
            return `Founded mesh “${created.name}” (${created.meshId}).`;
          })
        }
      >
        <label>
          New mesh name <input value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <button type="submit" disabled={busy || name.trim() === ''}>
          Found mesh
        </button>
      </form>
      <form
        className="inline-form"
        onSubmit={(e) =>
          void run(e, async () => {
            const joined = await api.json<{ meshName: string; role: string }>('POST', '/api/join', {
              body: { token: token.trim() },
            });
            setToken('');
            return `Joined mesh “${joined.meshName}” as ${joined.role}.`;
          })
        }
      >
        <label>
          Invite token or link <input value={token} onChange={(e) => setToken(e.target.value)} required />
        </label>
        <button type="submit" disabled={busy || token.trim() === ''}>
          Join
        </button>
      </form>
      {message && (
        <p className={message.ok ? 'success' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
    </section>
  );
}
