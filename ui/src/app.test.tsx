// @vitest-environment jsdom
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { PanelApi } from './api.js';
import { App, pageFor } from './app.js';
import { ApiContext } from './hooks.js';
import { FakeNode } from './testing.js';

afterEach(cleanup);

describe('the panel shell', () => {
  it('maps paths under /ui/ to pages, the root and unknown paths to the first', () => {
    expect(pageFor('/ui/mesh').title).toBe('Mesh');
    expect(pageFor('/ui/routing').title).toBe('Routing playground');
    expect(pageFor('/ui/').title).toBe('Discover & approve');
    expect(pageFor('/ui/nope').title).toBe('Discover & approve');
  });

  it('navigates without reloading, marks the current page, and signs out', async () => {
    const fake = new FakeNode({
      'GET /api/status': { nodeId: 'n', name: 'laptop', state: 'started' },
      'GET /api/cost': () =>
        new Response('{"error":{"message":"no route","code":"not_found","type":"not_found_error"}}', {
          status: 404,
        }),
      'DELETE /api/ui/session': () => new Response(null, { status: 204 }),
    });
    window.history.replaceState(null, '', '/ui/activity');
    const user = userEvent.setup();
    render(
      <ApiContext.Provider value={new PanelApi({ fetch: fake.fetch })}>
        <App />
      </ApiContext.Provider>,
    );
    expect(await screen.findByText('laptop · started')).toBeTruthy();
    await user.click(screen.getByRole('link', { name: 'Cost' }));
    expect(window.location.pathname).toBe('/ui/cost');
    expect(await screen.findByText('Cost data not available from this node.')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Cost' }).getAttribute('aria-current')).toBe('page');
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('You are signed out'));
    expect(fake.sent('DELETE', '/api/ui/session')[0]?.headers['x-atmosphere-csrf']).toBe('csrf-1');
  });
});
