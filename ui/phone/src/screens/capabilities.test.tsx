// @vitest-environment jsdom
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../../../src/core/index.js';
import { App } from '../app.js';
import { MemoryStorage, PhoneSettingsStore, SETTINGS_KEY } from '../settings.js';
import { CONNECTED, FakePhoneMesh, fakeCapabilities } from '../testing.js';

afterEach(cleanup);

const LABELS = ['Camera', 'Microphone', 'Location', 'Motion', 'Notifications'];

async function open(options: { storage?: MemoryStorage; mesh?: FakePhoneMesh } = {}) {
  const storage = options.storage ?? new MemoryStorage();
  const settings = new PhoneSettingsStore({ storage });
  const mesh = options.mesh ?? new FakePhoneMesh(CONNECTED);
  const capabilities = fakeCapabilities();
  const user = userEvent.setup();
  render(<App mesh={mesh} capabilities={capabilities} settings={settings} />);
  await user.click(screen.getByRole('button', { name: 'Capabilities' }));
  return { storage, settings, mesh, capabilities, user };
}

const box = (name: string) => screen.getByRole<HTMLInputElement>('checkbox', { name });
const saved = (storage: MemoryStorage) => JSON.parse(storage.getItem(SETTINGS_KEY) ?? 'null') as unknown;

describe('Capabilities screen', () => {
  it('lists every capability unchecked with a one-line explanation, and announces none at start', async () => {
    const { mesh } = await open();
    for (const label of LABELS) {
      expect(box(label).checked).toBe(false);
      expect(box(label).getAttribute('aria-describedby')).not.toBeNull();
    }
    expect(screen.getByText('Members can take a photo or read a QR code with this phone.')).toBeTruthy();
    expect(mesh.exposed).toEqual([[]]);
  });

  it('saves each toggle and hands the runtime exactly the approved set', async () => {
    const { storage, mesh, user } = await open();
    await user.click(box('Location'));
    await user.click(box('Camera'));
    await waitFor(() => expect(mesh.exposed).toHaveLength(3));
    expect(mesh.exposed.at(-1)).toEqual(['phone/camera', 'phone/location']);
    expect(saved(storage)).toMatchObject({ version: 1, exposed: ['phone/location', 'phone/camera'] });
    await user.click(box('Location'));
    await waitFor(() => expect(mesh.exposed).toHaveLength(4));
    expect(mesh.exposed.at(-1)).toEqual(['phone/camera']);
    expect(box('Location').checked).toBe(false);
    expect(box('Camera').checked).toBe(true);
  });

  it('restores the saved choices and announces them at start', async () => {
    const storage = new MemoryStorage();
    storage.setItem(SETTINGS_KEY, JSON.stringify({ version: 1, exposed: ['phone/notify'], geofences: [] }));
    const { mesh } = await open({ storage });
    expect(box('Notifications').checked).toBe(true);
    expect(box('Camera').checked).toBe(false);
    expect(mesh.exposed).toEqual([['phone/notify']]);
  });

  it('says when saved choices were unreadable and everything is private again', async () => {
    const storage = new MemoryStorage();
    storage.setItem(SETTINGS_KEY, '{"version":1,"exposed":["phone/camera"]');
    await open({ storage });
    expect(screen.getByText(/could not be read/).textContent).toContain('everything is private again');
    expect(box('Camera').checked).toBe(false);
  });

  it('shows the runtime refusing a change', async () => {
    const mesh = new FakePhoneMesh(CONNECTED);
    const { user } = await open({ mesh });
    mesh.setExposedImpl = () => Promise.reject(new ForbiddenError('the phone was revoked'));
    await user.click(box('Motion'));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'The mesh was not told about this change: the phone was revoked',
    );
  });

  it('validates the geofence form inline and adds a valid fence', async () => {
    const { storage, user } = await open();
    const add = screen.getByRole('button', { name: 'Add fence' });
    await user.clear(screen.getByRole('textbox', { name: 'Radius (m)' }));
    await user.type(screen.getByRole('textbox', { name: 'Latitude' }), '123');
    await user.type(screen.getByRole('textbox', { name: 'Longitude' }), 'x');
    await user.click(add);
    const name = screen.getByRole('textbox', { name: 'Fence name' });
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('enter a name')).toBeTruthy();
    expect(screen.getByText('between -90 and 90')).toBeTruthy();
    expect(screen.getAllByText('enter a number')).toHaveLength(2);
    expect(saved(storage)).toBeNull();

    await user.type(name, 'Home');
    await user.clear(screen.getByRole('textbox', { name: 'Latitude' }));
    await user.type(screen.getByRole('textbox', { name: 'Latitude' }), '52.52');
    await user.clear(screen.getByRole('textbox', { name: 'Longitude' }));
    await user.type(screen.getByRole('textbox', { name: 'Longitude' }), '-13.405');
    await user.type(screen.getByRole('textbox', { name: 'Radius (m)' }), '150');
    await user.click(add);
    expect(screen.queryByText('enter a name')).toBeNull();
    expect(saved(storage)).toMatchObject({
      geofences: [{ name: 'Home', latitude: 52.52, longitude: -13.405, radiusM: 150 }],
    });
    const list = screen.getByRole('list', { name: 'Saved geofences' });
    expect(within(list).getByText('Home')).toBeTruthy();
    expect(list.textContent).toContain('52.52000, -13.40500 · 150 m');

    // the same name again is refused inline
    await user.type(screen.getByRole('textbox', { name: 'Fence name' }), 'Home');
    await user.type(screen.getByRole('textbox', { name: 'Latitude' }), '1');
    await user.type(screen.getByRole('textbox', { name: 'Longitude' }), '1');
    await user.click(add);
    expect(screen.getByText('a fence named "Home" already exists')).toBeTruthy();
  });

  it('deletes a fence', async () => {
    const storage = new MemoryStorage();
    storage.setItem(
      SETTINGS_KEY,
      JSON.stringify({
        version: 1,
        exposed: [],
        geofences: [
          { name: 'Home', latitude: 1, longitude: 2, radiusM: 100 },
          { name: 'Work', latitude: 3, longitude: 4, radiusM: 300 },
        ],
      }),
    );
    const { user } = await open({ storage });
    await user.click(screen.getByRole('button', { name: 'Delete Home' }));
    expect(screen.queryByRole('button', { name: 'Delete Home' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Delete Work' })).toBeTruthy();
    expect(saved(storage)).toMatchObject({ geofences: [{ name: 'Work' }] });
  });

  it('fills latitude and longitude from the phone position', async () => {
    const { capabilities, user } = await open();
    const location = capabilities.find((c) => c.spec.id === 'phone/location')!;
    location.runImpl = () => Promise.resolve({ latitude: 48.85661234, longitude: 2.35222 });
    await user.click(screen.getByRole('button', { name: 'Use my position' }));
    await waitFor(() =>
      expect(screen.getByRole<HTMLInputElement>('textbox', { name: 'Latitude' }).value).toBe('48.856612'),
    );
    expect(screen.getByRole<HTMLInputElement>('textbox', { name: 'Longitude' }).value).toBe('2.352220');
    expect(location.runs).toEqual([{ tool: 'get_location', args: { maxAgeMs: 60_000 } }]);
  });
});
