// @vitest-environment jsdom
import { act, cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../app.js';
import { MemoryStorage, PhoneSettingsStore } from '../settings.js';
import { CONNECTED, FakePhoneMesh, fakeCapabilities } from '../testing.js';

afterEach(cleanup);

function renderApp(mesh: FakePhoneMesh) {
  const settings = new PhoneSettingsStore({ storage: new MemoryStorage() });
  return render(<App mesh={mesh} capabilities={fakeCapabilities()} settings={settings} />);
}

const banner = () => screen.getAllByRole('status').find((el) => el.classList.contains('banner'))!;

describe('Home screen', () => {
  it('says Connected with the mesh, the members and their links', () => {
    renderApp(new FakePhoneMesh(CONNECTED));
    expect(banner().textContent).toContain('Connected');
    expect(banner().textContent).toContain('1 member reachable');
    expect(screen.getByText('home', { selector: 'dd' })).toBeTruthy();
    const peers = screen.getAllByRole('listitem').filter((li) => li.classList.contains('peer'));
    expect(peers.map((li) => li.textContent)).toEqual([
      'laptoprelayed · 42 ms3 capabilities',
      'gpu-boxnot connected1 capability',
    ]);
  });

  it('shows the short node id and the full one on tap', async () => {
    const user = userEvent.setup();
    renderApp(new FakePhoneMesh(CONNECTED));
    const id = screen.getByRole('button', { name: 'Node id, show in full' });
    expect(id.textContent).toBe('12D3KooWPhon…vwxyz1');
    await user.click(id);
    expect(screen.getByRole('button', { name: `Node id ${CONNECTED.nodeId}` }).textContent).toBe(
      CONNECTED.nodeId,
    );
  });

  it('follows the runtime: unreachable and retrying, then removed with the reason', () => {
    const mesh = new FakePhoneMesh(CONNECTED);
    renderApp(mesh);
    act(() => mesh.setStatus({ ...CONNECTED, state: 'unreachable', peers: [] }));
    expect(banner().textContent).toContain('Mesh unreachable');
    expect(banner().textContent).toContain('retrying');
    act(() => mesh.setStatus({ ...CONNECTED, state: 'revoked', detail: 'revoked by laptop: lost phone' }));
    expect(banner().textContent).toContain('This phone was removed from the mesh');
    expect(banner().textContent).toContain('revoked by laptop: lost phone');
  });

  it('leaves the mesh after a confirmation and returns to the join screen', async () => {
    const mesh = new FakePhoneMesh(CONNECTED);
    const user = userEvent.setup();
    renderApp(mesh);
    await user.click(screen.getByRole('button', { name: 'Leave mesh' }));
    expect(mesh.leaves).toBe(0);
    await user.click(screen.getByRole('button', { name: 'Leave' }));
    expect(mesh.leaves).toBe(1);
    expect(await screen.findByRole('button', { name: 'Join mesh' })).toBeTruthy();
  });

  it('switches screens with the tab bar', async () => {
    const user = userEvent.setup();
    renderApp(new FakePhoneMesh(CONNECTED));
    for (const [tab, heading] of [
      ['Capabilities', 'Capabilities'],
      ['Chat', 'Chat'],
      ['Requests', 'Recent requests'],
      ['Home', 'Home'],
    ] as const) {
      await user.click(screen.getByRole('button', { name: tab }));
      expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(heading);
      expect(screen.getByRole('button', { name: tab }).getAttribute('aria-current')).toBe('page');
    }
  });
});
