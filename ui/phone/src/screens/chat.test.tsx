// @vitest-environment jsdom
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { NoCapabilityError } from '../../../../src/core/index.js';
import type { ChatEvent } from '../contract.js';
import { MemoryStorage, PhoneSettingsStore } from '../settings.js';
import { App } from '../app.js';
import { CONNECTED, FakePhoneMesh, fakeCapabilities, gatedStream } from '../testing.js';

afterEach(cleanup);

const receipt: ChatEvent = {
  type: 'receipt',
  nodeId: '12D3KooWGpuBox',
  nodeName: 'gpu-box',
  capability: 'ollama/qwen3:8b',
  model: 'qwen3:8b',
  via: 'direct',
};

async function openChat(mesh: FakePhoneMesh) {
  const user = userEvent.setup();
  render(
    <App
      mesh={mesh}
      capabilities={fakeCapabilities()}
      settings={new PhoneSettingsStore({ storage: new MemoryStorage() })}
    />,
  );
  await user.click(screen.getByRole('button', { name: 'Chat' }));
  return user;
}

const log = () => screen.getByRole('log');
const assistant = () => [...log().querySelectorAll('.bubble.assistant .content')].map((el) => el.textContent);

describe('Chat screen', () => {
  it('streams the deltas into the answer and shows who answered', async () => {
    const mesh = new FakePhoneMesh(CONNECTED);
    const gate = gatedStream([
      receipt,
      { type: 'delta', content: 'Hello' },
      { type: 'delta', content: ' there.' },
      { type: 'done' },
    ]);
    mesh.chatImpl = gate.stream;
    const user = await openChat(mesh);
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'say hello');
    await user.click(screen.getByRole('button', { name: 'Send' }));
    expect(mesh.chats).toEqual([[{ role: 'user', content: 'say hello' }]]);
    expect(log().textContent).toContain('say hello');
    act(() => gate.release());
    expect(await screen.findByText('answered by gpu-box · qwen3:8b')).toBeTruthy();
    act(() => gate.release());
    await waitFor(() => expect(assistant()).toEqual(['Hello']));
    expect(screen.getByRole('button', { name: 'Stop' })).toBeTruthy();
    act(() => gate.release());
    await waitFor(() => expect(assistant()).toEqual(['Hello there.']));
    act(() => gate.release());
    expect(await screen.findByRole('button', { name: 'Send' })).toBeTruthy();

    // the next message carries the conversation so far
    mesh.chatImpl = gatedStream([]).stream;
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'and again');
    await user.click(screen.getByRole('button', { name: 'Send' }));
    expect(mesh.chats[1]).toEqual([
      { role: 'user', content: 'say hello' },
      { role: 'assistant', content: 'Hello there.' },
      { role: 'user', content: 'and again' },
    ]);
  });

  it('stops a streaming answer and keeps what arrived', async () => {
    const mesh = new FakePhoneMesh(CONNECTED);
    const gate = gatedStream([
      { type: 'delta', content: 'Partial' },
      { type: 'delta', content: ' never' },
    ]);
    mesh.chatImpl = gate.stream;
    const user = await openChat(mesh);
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'long story');
    await user.click(screen.getByRole('button', { name: 'Send' }));
    act(() => gate.release());
    await waitFor(() => expect(assistant()).toEqual(['Partial']));
    await user.click(screen.getByRole('button', { name: 'Stop' }));
    expect(await screen.findByText('Stopped.')).toBeTruthy();
    expect(assistant()).toEqual(['Partial']);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows an error inline', async () => {
    const mesh = new FakePhoneMesh(CONNECTED);
    mesh.chatImpl = async function* () {
      await Promise.resolve();
      yield { type: 'delta', content: 'Hal' };
      throw new NoCapabilityError('no member can chat right now');
    };
    const user = await openChat(mesh);
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'x');
    await user.click(screen.getByRole('button', { name: 'Send' }));
    expect((await screen.findByRole('alert')).textContent).toBe('no member can chat right now');
  });

  it('says so when the stream ends without done', async () => {
    const mesh = new FakePhoneMesh(CONNECTED);
    mesh.chatImpl = async function* () {
      await Promise.resolve();
      yield { type: 'delta', content: 'cut' };
    };
    const user = await openChat(mesh);
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'x');
    await user.click(screen.getByRole('button', { name: 'Send' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The answer ended before it was complete.');
  });

  it('is disabled with an explanation when the mesh is unreachable', async () => {
    const mesh = new FakePhoneMesh({ ...CONNECTED, state: 'unreachable' });
    await openChat(mesh);
    expect(screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Message' }).disabled).toBe(true);
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Send' }).disabled).toBe(true);
    expect(screen.getByText(/Chat needs a connection to the mesh/).textContent).toContain('retrying');
    act(() => mesh.setStatus(CONNECTED));
    expect(screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Message' }).disabled).toBe(false);
  });
});
