// @vitest-environment jsdom
import { cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { sectionReplies } from '../fixtures.js';
import { FakeNode, apiError, renderWithNode } from '../testing.js';
import { SettingsPage, defaultSections, keysInMessage } from './settings.js';

afterEach(cleanup);

function node(): FakeNode {
  const sections = defaultSections();
  sections.access.mesh_ids = ['mesh-family-abc', 'mesh-work-*'];
  sections.expose.hardware.camera = true;
  return new FakeNode({
    ...sectionReplies(sections),
    'GET /api/mesh': {
      nodeId: 'n',
      addresses: [],
      meshes: [{ meshId: 'mesh-family-abc', name: 'Family', role: 'admin' }],
      peers: [],
      stats: {},
    },
    'PUT /api/access': (r) => ({ access: r.body, configError: null }),
    'PUT /api/exposure': (r) => ({ expose: r.body, capabilities: [], configError: null }),
  });
}

describe('Owner settings', () => {
  it('adds and removes allowed meshes, naming known ones, and saves only the changed section', async () => {
    const fake = node();
    const user = userEvent.setup();
    renderWithNode(fake, <SettingsPage />);
    const meshes = await screen.findByRole('group', { name: 'Allowed meshes' });
    expect(within(meshes).getByText('(Family)')).toBeTruthy();
    await user.click(within(meshes).getByRole('button', { name: 'Remove mesh-work-* from Allowed meshes' }));
    await user.type(
      within(meshes).getByRole('textbox', { name: 'Add to Allowed meshes' }),
      'mesh-lab-1{Enter}',
    );
    await user.click(screen.getByRole('checkbox', { name: 'Log all requests' }));
    expect(screen.getByText('Unsaved: access')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    await screen.findByText('Saved access to config.yaml.');
    expect(fake.sent('PUT', '/api/access')[0]?.body).toMatchObject({
      mesh_ids: ['mesh-family-abc', 'mesh-lab-1'],
      log_all_requests: true,
    });
    expect(fake.sent('PUT', '/api/exposure')).toHaveLength(0);
    expect(fake.sent('PUT', '/api/limits')).toHaveLength(0);
  });

  it('shows the node’s validation error beside the field it names', async () => {
    const fake = node();
    fake.on('PUT /api/limits', () =>
      apiError(
        400,
        'config_invalid',
        'invalid configuration: /home/me/.atmosphere/config.yaml:3:19: limits.max_concurrent: expected a number at least 1, got 0',
      ),
    );
    const user = userEvent.setup();
    renderWithNode(fake, <SettingsPage />);
    const field = await screen.findByRole('spinbutton', { name: 'Max concurrent requests' });
    await user.clear(field);
    await user.type(field, '0');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(
      await screen.findByText('limits.max_concurrent: expected a number at least 1, got 0'),
    ).toBeTruthy();
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText(/config.yaml keeps its previous value/)).toBeTruthy();
  });

  it('resets the form to the schema defaults, which then need saving', async () => {
    const fake = node();
    const user = userEvent.setup();
    renderWithNode(fake, <SettingsPage />);
    const camera = await screen.findByRole<HTMLInputElement>('checkbox', { name: 'Camera' });
    expect(camera.checked).toBe(true);
    await user.click(screen.getByRole('button', { name: 'Reset to defaults' }));
    expect(camera.checked).toBe(false);
    expect(screen.getByText('Unsaved: expose, access')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    await screen.findByText('Saved expose, access to config.yaml.');
    expect((fake.sent('PUT', '/api/access')[0]?.body as { mesh_ids: string[] }).mesh_ids).toEqual(['*']);
  });

  it('turns one model off by an exact deny beside the owner’s glob, and back on', async () => {
    const sections = defaultSections();
    const fake = new FakeNode({
      ...sectionReplies(sections),
      'GET /api/exposure': {
        expose: sections.expose,
        capabilities: [
          { id: 'ollama/llama3.2:3b', type: 'llm/chat', exposed: true, rule: 'expose.models.ollama' },
          { id: 'ollama/codellama:34b', type: 'llm/chat', exposed: true, rule: 'expose.models.ollama' },
        ],
        configError: null,
      },
      'PUT /api/exposure': (r) => ({ expose: r.body, capabilities: [], configError: null }),
    });
    const user = userEvent.setup();
    renderWithNode(fake, <SettingsPage />);
    const codellama = await screen.findByRole<HTMLInputElement>('checkbox', { name: 'ollama/codellama:34b' });
    expect(screen.getByText('Each capability (2 of 2 exposed)')).toBeTruthy();
    await user.click(codellama);
    expect(codellama.checked).toBe(false);
    expect(screen.getByText('private by expose.capabilities.deny')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    await screen.findByText('Saved expose to config.yaml.');
    const expose = fake.sent('PUT', '/api/exposure')[0]?.body as {
      models: { ollama: string[] };
      capabilities: { deny: string[] };
    };
    expect(expose.models.ollama).toEqual(['*']);
    expect(expose.capabilities.deny).toEqual(['ollama/codellama:34b']);
  });

  it('finds the config keys a validation message names', () => {
    expect(keysInMessage('x.yaml:1:2: expose.models.ollama: bad; access.mesh_ids.0: bad')).toEqual([
      'expose.models.ollama',
      'access.mesh_ids.0',
    ]);
  });
});
