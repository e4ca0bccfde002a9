// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InviteExpiredError } from '../../../../src/core/index.js';
import { App } from '../app.js';
import { MemoryStorage, PhoneSettingsStore } from '../settings.js';
import { CONNECTED, FakePhoneMesh, fakeCapabilities } from '../testing.js';

afterEach(cleanup);
beforeEach(() => window.history.replaceState(null, '', '/phone/'));

function renderApp(mesh: FakePhoneMesh) {
  const settings = new PhoneSettingsStore({ storage: new MemoryStorage() });
  return render(<App mesh={mesh} capabilities={fakeCapabilities()} settings={settings} />);
}

describe('Join screen', () => {
  it('pre-fills the invite from #join= and clears the fragment after joining', async () => {
    window.history.replaceState(null, '', '/phone/?from=qr#join=eyJ0b2tlbiI6MX0.sig');
    const mesh = new FakePhoneMesh();
    const user = userEvent.setup();
    renderApp(mesh);
    const invite = screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Invite' });
    expect(invite.value).toBe('eyJ0b2tlbiI6MX0.sig');
    await user.click(screen.getByRole('button', { name: 'Join mesh' }));
    expect(mesh.joins).toEqual(['eyJ0b2tlbiI6MX0.sig']);
    expect(await screen.findByText('Connected')).toBeTruthy();
    expect(window.location.hash).toBe('');
    expect(window.location.pathname + window.location.search).toBe('/phone/?from=qr');
  });

  it('reads an encoded atmosphere:// link from the fragment', () => {
    window.history.replaceState(null, '', `/phone/#join=${encodeURIComponent('atmosphere://join/abc?x=1')}`);
    renderApp(new FakePhoneMesh());
    expect(screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Invite' }).value).toBe(
      'atmosphere://join/abc?x=1',
    );
  });

  it('shows the runtime error and keeps the fragment when joining fails', async () => {
    window.history.replaceState(null, '', '/phone/#join=old-token');
    const mesh = new FakePhoneMesh();
    mesh.joinImpl = () => Promise.reject(new InviteExpiredError('this invite expired 2 hours ago'));
    const user = userEvent.setup();
    renderApp(mesh);
    await user.click(screen.getByRole('button', { name: 'Join mesh' }));
    expect((await screen.findByRole('alert')).textContent).toBe('this invite expired 2 hours ago');
    expect(window.location.hash).toBe('#join=old-token');
    expect(screen.getByRole('textbox', { name: 'Invite' })).toBeTruthy();
  });

  it('joins with a pasted invite and disables the button while empty', async () => {
    const mesh = new FakePhoneMesh();
    const user = userEvent.setup();
    renderApp(mesh);
    const button = screen.getByRole<HTMLButtonElement>('button', { name: 'Join mesh' });
    expect(button.disabled).toBe(true);
    await user.type(screen.getByRole('textbox', { name: 'Invite' }), '  pasted-token  ');
    await user.click(button);
    expect(mesh.joins).toEqual(['pasted-token']);
  });

  it('tells the runtime the saved exposure again after joining', async () => {
    const mesh = new FakePhoneMesh();
    mesh.joinImpl = () => {
      mesh.setStatus(CONNECTED);
      return Promise.resolve();
    };
    const storage = new MemoryStorage();
    const settings = new PhoneSettingsStore({ storage });
    settings.setExposed(['phone/location']);
    const user = userEvent.setup();
    render(<App mesh={mesh} capabilities={fakeCapabilities()} settings={settings} />);
    await user.type(screen.getByRole('textbox', { name: 'Invite' }), 't');
    await user.click(screen.getByRole('button', { name: 'Join mesh' }));
    await screen.findByText('Connected');
    expect(mesh.exposed).toEqual([['phone/location'], ['phone/location']]);
  });
});
