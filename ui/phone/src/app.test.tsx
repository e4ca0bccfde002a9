// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { IdentityError } from '../../../src/core/index.js';
import { Boot } from './app.js';
import type { PhoneMesh } from './contract.js';
import { inviteFromHash, shortId } from './format.js';
import { MemoryStorage, PhoneSettingsStore } from './settings.js';
import { CONNECTED, FakePhoneMesh, fakeCapabilities } from './testing.js';

afterEach(cleanup);

describe('Boot', () => {
  it('shows the app once the runtime started', async () => {
    const mesh = new FakePhoneMesh(CONNECTED);
    render(
      <Boot
        start={() => Promise.resolve(mesh)}
        capabilities={fakeCapabilities()}
        settings={new PhoneSettingsStore({ storage: new MemoryStorage() })}
      />,
    );
    expect(screen.getByText('Starting Atmosphere…')).toBeTruthy();
    expect(await screen.findByText('Connected')).toBeTruthy();
  });

  it('shows why the runtime did not start and tries again', async () => {
    const mesh = new FakePhoneMesh(CONNECTED);
    let attempts = 0;
    const start = (): Promise<PhoneMesh> =>
      ++attempts === 1
        ? Promise.reject(new IdentityError("this phone's saved identity is unreadable"))
        : Promise.resolve(mesh);
    const user = userEvent.setup();
    render(
      <Boot
        start={start}
        capabilities={fakeCapabilities()}
        settings={new PhoneSettingsStore({ storage: new MemoryStorage() })}
      />,
    );
    expect((await screen.findByRole('alert')).textContent).toBe(
      "Atmosphere could not start on this phone: this phone's saved identity is unreadable",
    );
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('Connected')).toBeTruthy();
    expect(attempts).toBe(2);
  });
});

describe('format helpers', () => {
  it('reads invites from the fragment', () => {
    expect(inviteFromHash('#join=abc.def')).toBe('abc.def');
    expect(inviteFromHash('join=abc')).toBe('abc');
    expect(inviteFromHash('#join=atmosphere%3A%2F%2Fjoin%2Fxyz')).toBe('atmosphere://join/xyz');
    expect(inviteFromHash('#join=100%')).toBe('100%');
    expect(inviteFromHash('#other=1')).toBe('');
    expect(inviteFromHash('')).toBe('');
  });

  it('shortens long ids only', () => {
    expect(shortId('short')).toBe('short');
    expect(shortId('12D3KooWAbcdefghijklmnopqrstuv')).toBe('12D3KooWAbcd…qrstuv');
  });
});
