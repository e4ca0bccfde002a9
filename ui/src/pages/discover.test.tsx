// @vitest-environment jsdom
import { cleanup, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { scanReport, sectionReplies } from '../fixtures.js';
import { FakeNode, renderWithNode, sse } from '../testing.js';
import { defaultSections } from './settings.js';
import { DiscoverPage } from './discover.js';

afterEach(cleanup);

function nodeWith(options: { pending?: object | null; ollama?: string[]; camera?: boolean } = {}): FakeNode {
  const sections = defaultSections();
  sections.expose.models.ollama = options.ollama ?? ['llama3.2:3b', 'qwen3:1.7b'];
  sections.expose.hardware.camera = options.camera ?? false;
  return new FakeNode({
    ...sectionReplies(sections),
    'GET /api/scan': { scanning: false, report: scanReport() },
    'GET /api/join/pending': { pending: options.pending ?? null },
    'PUT /api/exposure': (r) => ({ expose: r.body, capabilities: [], configError: null }),
    'PUT /api/limits': (r) => ({ limits: r.body, configError: null }),
  });
}

describe('Discover & approve', () => {
  it('groups what the scan found like the seed mock: GPU purposes, models, devices', async () => {
    renderWithNode(nodeWith(), <DiscoverPage />);
    expect(await screen.findByRole('checkbox', { name: /NVIDIA GeForce RTX 4090/ })).toBeTruthy();
    expect(screen.getByRole('group', { name: 'Expose the GPU for' })).toBeTruthy();
    expect(screen.getByText('Ollama models (2 of 3 exposed)')).toBeTruthy();
    expect(screen.getByRole<HTMLInputElement>('checkbox', { name: 'llama3.2:3b' }).checked).toBe(true);
    expect(screen.getByRole<HTMLInputElement>('checkbox', { name: 'codellama:34b' }).checked).toBe(false);
    expect(screen.getByText('too large for this machine')).toBeTruthy();
    const camera = screen.getByRole<HTMLInputElement>('checkbox', {
      name: /^Camera: Logitech C920/,
    });
    expect(camera.checked).toBe(false);
    expect(screen.getAllByText('Not exposing (privacy)').length).toBeGreaterThan(0);
    expect(screen.getByRole('button', { name: 'Save' })).toHaveProperty('disabled', true);
  });

  it('saves an approved model and a denied camera as the smallest edit of expose', async () => {
    const node = nodeWith({ ollama: ['qwen3:1.7b'], camera: true });
    const user = userEvent.setup();
    renderWithNode(node, <DiscoverPage />);
    await user.click(await screen.findByRole('checkbox', { name: 'llama3.2:3b' }));
    await user.click(screen.getByRole('checkbox', { name: /^Camera:/ }));
    expect(screen.getByText('2 changes not saved')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByText(/^Saved: exposing/);
    const put = node.sent('PUT', '/api/exposure')[0];
    const expose = put?.body as { models: { ollama: string[] }; hardware: { camera: boolean } };
    expect(expose.models.ollama).toEqual(['qwen3:1.7b', 'llama3.2:3b']);
    expect(expose.hardware.camera).toBe(false);
    expect(put?.headers['x-atmosphere-csrf']).toBe('csrf-1');
    expect(node.sent('PUT', '/api/limits')).toHaveLength(0);
  });

  it('writes the VRAM cap to limits and GPU purposes to expose', async () => {
    const node = nodeWith();
    const user = userEvent.setup();
    renderWithNode(node, <DiscoverPage />);
    await user.click(await screen.findByRole('checkbox', { name: 'Image generation' }));
    await user.selectOptions(screen.getByRole('combobox', { name: /Mesh work may use up to/ }), '60');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByText(/^Saved: exposing/);
    const expose = node.sent('PUT', '/api/exposure')[0]?.body as { hardware: { gpu: unknown } };
    expect(expose.hardware.gpu).toEqual({ inference: true, training: true, image_generation: false });
    expect((node.sent('PUT', '/api/limits')[0]?.body as { max_vram_percent: number }).max_vram_percent).toBe(
      60,
    );
  });

  it('scans again with live progress and shows the new findings', async () => {
    const node = nodeWith();
    const report = scanReport();
    report.candidates.push({ ...report.candidates[1]!, id: 'ollama/phi4:14b', name: 'phi4:14b' });
    node.on('POST /api/scan', () =>
      sse([
        ': scanning\n\n',
        `event: progress\ndata: ${JSON.stringify({ message: 'probing GPUs' })}\n\n`,
        `event: progress\ndata: ${JSON.stringify({ message: 'listing Ollama models' })}\n\n`,
        `event: report\ndata: ${JSON.stringify({ report })}\n\n`,
      ]),
    );
    const user = userEvent.setup();
    renderWithNode(node, <DiscoverPage />);
    await user.click(await screen.findByRole('button', { name: 'Scan again' }));
    await screen.findByRole('checkbox', { name: 'phi4:14b' });
    const progress = screen.getByRole('list', { name: 'Scan progress' });
    expect(progress.textContent).toContain('probing GPUs');
    expect(progress.textContent).toContain('listing Ollama models');
    expect(node.sent('POST', '/api/scan')[0]?.headers['accept']).toBe('text/event-stream');
  });

  it('offers "Save & join mesh" while a join waits, and finishes the join after saving', async () => {
    const node = nodeWith({
      pending: {
        meshId: 'mesh-abc',
        meshName: 'family',
        role: 'member',
        done: ['validate', 'node', 'scan'],
        startedAtMs: 1,
        expiresAtMs: null,
      },
    });
    node.on('POST /api/join/pending', {
      meshId: 'mesh-abc',
      meshName: 'family',
      role: 'member',
      issuerId: 'n1',
    });
    const user = userEvent.setup();
    renderWithNode(node, <DiscoverPage />);
    expect(await screen.findByText(/Joining mesh “family”/)).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Save & join mesh' }));
    await screen.findByText(/Joined mesh "family" as member/);
    const order = node.requests.map((r) => `${r.method} ${r.path}`).filter((r) => !r.startsWith('GET'));
    expect(order).toEqual(['PUT /api/exposure', 'POST /api/join/pending']);
  });

  it('lists Matter devices when the node has a bridge, and says when the bridge is off', async () => {
    const on = nodeWith();
    on.on('GET /api/matter/devices', { enabled: true, devices: [{ id: 'm1', label: 'Hall lamp' }] });
    renderWithNode(on, <DiscoverPage />);
    expect(await screen.findByText('Matter devices (0 of 1 commissioned exposed)')).toBeTruthy();
    // a device that reports no capabilities yet has nothing to expose
    const lamp = screen.getByRole<HTMLInputElement>('checkbox', { name: 'Hall lamp' });
    expect(lamp.disabled).toBe(true);
    expect(screen.getByText('no capabilities reported yet')).toBeTruthy();
    cleanup();

    const off = nodeWith();
    off.on('GET /api/matter/devices', { enabled: false, devices: [] });
    renderWithNode(off, <DiscoverPage />);
    expect(await screen.findByText('Matter devices (bridge off)')).toBeTruthy();
    cleanup();

    renderWithNode(nodeWith(), <DiscoverPage />);
    await screen.findByText(/^Ollama models/);
    expect(screen.queryByText(/^Matter devices/)).toBeNull();
  });

  it('toggles each Matter device and saves its capabilities as the smallest edit of expose.capabilities', async () => {
    const sections = defaultSections();
    sections.expose.models.ollama = ['llama3.2:3b', 'qwen3:1.7b'];
    sections.expose.capabilities.allow = ['matter/hall-lamp-peer1'];
    const node = new FakeNode({
      ...sectionReplies(sections),
      'GET /api/scan': { scanning: false, report: scanReport() },
      'GET /api/join/pending': { pending: null },
      'GET /api/matter/devices': {
        enabled: true,
        devices: [
          {
            id: 'peer1',
            label: 'Hall lamp',
            room: 'Hall',
            vendor: 'Ikea',
            product: 'Tradfri',
            capabilities: [
              { id: 'matter/hall-lamp-peer1', type: 'iot/light', tools: ['on', 'off'], triggers: [] },
            ],
          },
          {
            id: 'peer2',
            label: 'Front door',
            room: null,
            vendor: null,
            product: 'Lock',
            capabilities: [
              { id: 'matter/front-door-peer2', type: 'iot/lock', tools: ['lock'], triggers: ['tamper'] },
              { id: 'matter/front-door-peer2-battery', type: 'iot/sensor', tools: [], triggers: [] },
            ],
          },
        ],
      },
      'PUT /api/exposure': (r) => ({ expose: r.body, capabilities: [], configError: null }),
    });
    const user = userEvent.setup();
    renderWithNode(node, <DiscoverPage />);
    const lamp = await screen.findByRole<HTMLInputElement>('checkbox', { name: 'Hall lamp (Hall)' });
    const door = screen.getByRole<HTMLInputElement>('checkbox', { name: 'Front door' });
    expect(lamp.checked).toBe(true);
    expect(door.checked).toBe(false);
    expect(screen.getByText('Matter devices (1 of 2 commissioned exposed)')).toBeTruthy();
    expect(
      screen.getByText('matter/front-door-peer2 (iot/lock), matter/front-door-peer2-battery (iot/sensor)'),
    ).toBeTruthy();
    // a Matter capability is not listed a second time among the scan's other findings
    expect(screen.getAllByText(/matter\/front-door-peer2 /)).toHaveLength(1);

    await user.click(door);
    await user.click(lamp);
    expect(screen.getByText('3 changes not saved')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByText(/^Saved: exposing/);
    const expose = node.sent('PUT', '/api/exposure')[0]?.body as {
      capabilities: { allow: string[]; deny: string[] };
      models: { ollama: string[] };
    };
    expect(expose.capabilities.allow).toEqual(['matter/front-door-peer2', 'matter/front-door-peer2-battery']);
    expect(expose.capabilities.deny).toEqual([]);
    expect(expose.models.ollama).toEqual(['llama3.2:3b', 'qwen3:1.7b']);
  });

  it('says so when nothing was scanned yet', async () => {
    const node = nodeWith();
    node.on(
      'GET /api/scan',
      () =>
        new Response(
          JSON.stringify({
            error: { message: 'no scan yet', type: 'not_found_error', code: 'scan_not_found' },
          }),
          { status: 404 },
        ),
    );
    renderWithNode(node, <DiscoverPage />);
    expect(await screen.findByText(/No scan yet/)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Scan now' })).toBeTruthy();
  });
});
