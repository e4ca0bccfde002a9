// @vitest-environment jsdom
import { cleanup, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeNode, apiError, renderWithNode, sse } from '../testing.js';
import { PlaygroundPage, costText } from './playground.js';

afterEach(cleanup);

const candidate = (fields: object): object => ({
  capabilityId: 'ollama/llama3.2:3b',
  nodeId: 'self-1',
  type: 'llm/chat',
  tool: { name: 'chat', kind: 'tool' },
  semanticScore: 0.8591,
  threshold: 0.4,
  cost: 0,
  costKnown: false,
  score: 0.8591,
  eligible: true,
  constraints: [],
  reasons: ['matches its description 0.741'],
  ...fields,
});

function node(): FakeNode {
  const chunk = (content: string): string =>
    `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }] })}\n\n`;
  return new FakeNode({
    'GET /api/status': { nodeId: 'self-1', name: 'laptop', state: 'started' },
    'GET /api/mesh': {
      nodeId: 'self-1',
      addresses: [],
      meshes: [],
      peers: [{ nodeId: 'gpu-1', name: 'gpu-box' }],
      stats: {},
    },
    'POST /api/route': (r) => ({
      intent: (r.body as { intent: string }).intent,
      form: 'request',
      decision: { capabilityId: 'ollama/qwen3:8b', nodeId: 'gpu-1' },
      candidates: [
        candidate({
          capabilityId: 'ollama/qwen3:8b',
          nodeId: 'gpu-1',
          cost: 1.25,
          costKnown: true,
          score: 0.9,
        }),
        candidate({
          eligible: false,
          semanticScore: 0.2,
          score: 0.2,
          constraints: [{ name: 'exposed', ok: false, reason: 'private by expose.models.ollama' }],
        }),
      ],
      embedderId: 'words',
      indexed: 7,
    }),
    'POST /v1/chat/completions': () =>
      sse([chunk(''), chunk('Hello'), chunk(' there.'), 'data: [DONE]\n\n'], {
        'X-Atmosphere-Node': 'gpu-1',
        'X-Atmosphere-Capability': 'ollama/qwen3:8b',
        'X-Atmosphere-Route-Id': 'rt_1',
        'X-Atmosphere-Attempts': '1',
      }),
  });
}

describe('Routing playground', () => {
  it('ranks candidates with semantic score, cost, score, reasons and failed constraints', async () => {
    const fake = node();
    const user = userEvent.setup();
    renderWithNode(fake, <PlaygroundPage />);
    await user.type(screen.getByRole('textbox', { name: 'Intent' }), 'summarise this');
    await user.click(screen.getByRole('button', { name: 'Show the route' }));
    expect(await screen.findByText('Goes to ollama/qwen3:8b on gpu-box.', { exact: false })).toBeTruthy();
    const items = screen
      .getAllByRole('listitem')
      .filter((li) => li.className === 'eligible' || li.className === 'ineligible');
    expect(items).toHaveLength(2);
    expect(items[0]?.textContent).toContain('semantic0.859');
    expect(items[0]?.textContent).toContain('cost1.25');
    expect(items[1]?.textContent).toContain('costnot known');
    expect(items[1]?.textContent).toContain('fails exposed: private by expose.models.ollama');
    expect(fake.sent('POST', '/api/route')[0]?.body).toEqual({ intent: 'summarise this', top: 5 });
  });

  it('runs the intent with model auto and shows the streamed answer with its receipt', async () => {
    const fake = node();
    const user = userEvent.setup();
    renderWithNode(fake, <PlaygroundPage />);
    await user.type(screen.getByRole('textbox', { name: 'Intent' }), 'say hello');
    await user.click(screen.getByRole('button', { name: 'Run it' }));
    await screen.findByText('Done.');
    expect(document.querySelector('pre.answer')?.textContent).toBe('Hello there.');
    expect(screen.getByText(/Served by ollama\/qwen3:8b on gpu-box/)).toBeTruthy();
    const sent = fake.sent('POST', '/v1/chat/completions')[0];
    expect(sent?.body).toEqual({
      model: 'auto',
      stream: true,
      messages: [{ role: 'user', content: 'say hello' }],
    });
    expect(sent?.headers['x-atmosphere-csrf']).toBe('csrf-1');
  });

  it('shows an error that ends the stream, and a refusal before it', async () => {
    const fake = node();
    fake.on('POST /v1/chat/completions', () =>
      sse([
        `data: ${JSON.stringify({ choices: [{ delta: { content: 'Hal' } }] })}\n\n`,
        `event: error\ndata: ${JSON.stringify({ error: { message: 'ollama stopped answering', code: 'backend_unavailable' } })}\n\n`,
      ]),
    );
    const user = userEvent.setup();
    renderWithNode(fake, <PlaygroundPage />);
    await user.type(screen.getByRole('textbox', { name: 'Intent' }), 'x');
    await user.click(screen.getByRole('button', { name: 'Run it' }));
    expect(await screen.findByText('ollama stopped answering (backend_unavailable)')).toBeTruthy();
    expect(document.querySelector('pre.answer')?.textContent).toBe('Hal');

    fake.on('POST /v1/chat/completions', () => apiError(503, 'no_capability', 'no node can serve this'));
    await user.click(screen.getByRole('button', { name: 'Run it' }));
    expect(await screen.findByText('no node can serve this (no_capability)')).toBeTruthy();
  });

  it('words cost as the router reports it', () => {
    expect(costText({ cost: 0, costKnown: false })).toBe('not known');
    expect(costText({ cost: 2, costKnown: true })).toBe('2.00');
    expect(costText({ cost: { total: 1.5 }, costKnown: true })).toBe('1.50');
  });
});
