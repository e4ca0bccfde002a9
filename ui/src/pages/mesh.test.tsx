// @vitest-environment jsdom
import { cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeNode, renderWithNode } from '../testing.js';
import { qrPath } from '../components/qr-code.js';
import { MeshPage } from './mesh.js';

afterEach(cleanup);

const peer = (fields: object): object => ({
  meshIds: ['mesh-1'],
  addresses: ['/ip4/127.0.0.1/tcp/7471'],
  connected: true,
  transport: 'lan',
  rttMs: 3.4,
  lastSeenMs: Date.now(),
  capabilityCount: 2,
  digest: null,
  reason: null,
  detail: null,
  ...fields,
});

function node(role: 'admin' | 'member'): FakeNode {
  return new FakeNode({
    'GET /api/status': { nodeId: 'self-1', name: 'laptop', state: 'started' },
    'GET /api/mesh': {
      nodeId: 'self-1',
      addresses: [],
      meshes: [
        { meshId: 'mesh-1', name: 'home', role, founder: role === 'admin', memberCount: 3, joinedAtMs: 0 },
      ],
      peers: [
        peer({ nodeId: 'p-gpu', name: 'gpu-box' }),
        peer({
          nodeId: 'p-phone',
          name: 'phone',
          connected: false,
          transport: null,
          rttMs: null,
          reason: 'unreachable',
          detail: 'dial timed out',
        }),
      ],
      stats: {},
    },
    'GET /api/meshes/mesh-1/members': {
      meshId: 'mesh-1',
      members: [
        {
          nodeId: 'self-1',
          name: 'laptop',
          role,
          self: true,
          revoked: false,
          connected: true,
          lastSeenMs: null,
          issuedAtMs: 0,
          serial: 1,
        },
        {
          nodeId: 'p-gpu',
          name: 'gpu-box',
          role: 'member',
          self: false,
          revoked: false,
          connected: true,
          lastSeenMs: null,
          issuedAtMs: 0,
          serial: 2,
        },
      ],
    },
  });
}

describe('Mesh', () => {
  it('draws every peer on the graph with its transport and RTT, and says why one is not connected', async () => {
    renderWithNode(node('admin'), <MeshPage />);
    const graph = await screen.findByRole('img', {
      name: /Mesh topology: this node and 2 peer\(s\), 1 connected/,
    });
    expect(graph.textContent).toContain('laptop (this node)');
    expect(graph.textContent).toContain('gpu-box');
    expect(graph.textContent).toContain('lan · 3 ms');
    expect(graph.textContent).toContain('not connected: unreachable');
    expect(screen.getByText(/its addresses do not answer/).textContent).toContain('dial timed out');
  });

  it('lets an admin revoke a member after confirming', async () => {
    const fake = node('admin');
    fake.on('POST /api/meshes/mesh-1/revocations', (r) => ({
      meshId: 'mesh-1',
      nodeId: (r.body as { nodeId: string }).nodeId,
      revoked: true,
    }));
    const user = userEvent.setup();
    renderWithNode(fake, <MeshPage />);
    await user.click(await screen.findByRole('button', { name: 'Revoke gpu-box' }));
    expect(fake.sent('POST', '/api/meshes/mesh-1/revocations')).toHaveLength(0);
    await user.click(screen.getByRole('button', { name: 'Yes, revoke gpu-box' }));
    await screen.findByText('gpu-box was revoked from home.');
    expect(fake.sent('POST', '/api/meshes/mesh-1/revocations')[0]?.body).toMatchObject({ nodeId: 'p-gpu' });
  });

  it('offers members neither revoke nor invites', async () => {
    renderWithNode(node('member'), <MeshPage />);
    await screen.findByText('Only admins can invite and revoke.');
    expect(screen.queryByRole('button', { name: /^Revoke/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Create invite' })).toBeNull();
  });

  it('creates an invite and shows it as a QR code of the link, with the link and token to copy', async () => {
    const fake = node('admin');
    const link = 'atmosphere://join/atm1.AQEfbWVzaC1sYjdvbmU1Nmd0d2p5cHFycmJheHhuZ3VmeQ';
    fake.on('POST /api/meshes/mesh-1/invites', {
      token: link.slice('atmosphere://join/'.length),
      link,
      meshId: 'mesh-1',
      meshName: 'home',
      role: 'admin',
      scope: ['*'],
      maxUses: 2,
      expiresAtMs: Date.now() + 3_600_000,
      addresses: [],
    });
    const user = userEvent.setup();
    renderWithNode(fake, <MeshPage />);
    await user.selectOptions(await screen.findByRole('combobox', { name: 'Role' }), 'admin');
    const uses = screen.getByRole('spinbutton', { name: 'Uses' });
    await user.clear(uses);
    await user.type(uses, '2');
    await user.click(screen.getByRole('button', { name: 'Create invite' }));
    const qr = await screen.findByRole('img', { name: 'QR code of the invite to home' });
    expect(qr.querySelector('path')?.getAttribute('d')).toBe(qrPath(link).path);
    expect(screen.getByRole<HTMLInputElement>('textbox', { name: 'Invite link' }).value).toBe(link);
    expect(fake.sent('POST', '/api/meshes/mesh-1/invites')[0]?.body).toEqual({
      role: 'admin',
      uses: 2,
      ttlSeconds: 86_400,
    });
    within(qr.parentElement!).getByText(/Invite to “home” as admin, 2 use\(s\)/);
  });

  it('switches the QR code to the phone app link for a phone, and says when a phone cannot reach it', async () => {
    const fake = node('admin');
    const token = 'atm1.AQEfbWVzaC1sYjdvbmU1Nmd0d2p5cHFycmJheHhuZ3VmeQ';
    const phone = `http://127.0.0.1:7470/phone/#join=${token}`;
    fake.on('POST /api/meshes/mesh-1/invites', {
      token,
      link: `atmosphere://join/${token}`,
      meshId: 'mesh-1',
      meshName: 'home',
      role: 'member',
      scope: ['*'],
      maxUses: 1,
      expiresAtMs: Date.now() + 3_600_000,
      addresses: [],
      phoneLinks: [phone],
      phoneLocalOnly: true,
    });
    const user = userEvent.setup();
    renderWithNode(fake, <MeshPage />);
    await user.click(await screen.findByRole('button', { name: 'Create invite' }));
    await screen.findByRole('img', { name: 'QR code of the invite to home' });
    await user.click(screen.getByRole('checkbox', { name: /For a phone/ }));
    const qr = screen.getByRole('img', { name: 'QR code of the phone link to home' });
    expect(qr.querySelector('path')?.getAttribute('d')).toBe(qrPath(phone).path);
    expect(screen.getByRole<HTMLInputElement>('textbox', { name: 'Phone link' }).value).toBe(phone);
    screen.getByText(/listens on loopback only/);
  });

  it('encodes a QR code with the finder patterns in three corners', () => {
    const { size, path } = qrPath('atmosphere://join/atm1.x');
    expect(size).toBeGreaterThanOrEqual(21);
    for (const corner of ['M0 0h1', `M${size - 1} 0h1`, `M0 ${size - 1}h1`]) expect(path).toContain(corner);
  });
});
