/**
 * Chat: a conversation with the mesh (`model: "auto"`: the router picks the node and model). The
 * answer streams into its bubble as it is written, under the receipt of who answered; Stop
 * aborts it. Only while connected.
 */
import type { FormEvent, ReactElement } from 'react';
import { useEffect, useRef, useState } from 'react';
import { ScreenTitle } from '../app.js';
import type { ChatTurn, PhoneMesh, PhoneMeshStatus } from '../contract.js';
import { errorText } from '../format.js';

interface Message {
  readonly id: number;
  readonly role: 'user' | 'assistant';
  readonly content: string;
  readonly receipt: string | null;
  readonly state: 'done' | 'streaming' | 'stopped' | 'failed';
  readonly error: string | null;
}

/** The conversation as the mesh sees it: finished turns with text, oldest first. */
export function turnsOf(messages: readonly Message[]): ChatTurn[] {
  return messages
    .filter((m) => m.content !== '' && m.state !== 'failed')
    .map((m) => ({ role: m.role, content: m.content }));
}

export function ChatScreen(props: { mesh: PhoneMesh; status: PhoneMeshStatus }): ReactElement {
  const { mesh, status } = props;
  const [messages, setMessages] = useState<readonly Message[]>([]);
  const [draft, setDraft] = useState('');
  const running = useRef<AbortController | null>(null);
  const nextId = useRef(1);
  const [streaming, setStreaming] = useState(false);
  const connected = status.state === 'connected';

  useEffect(() => () => running.current?.abort(), []);

  const update = (id: number, change: (m: Message) => Message): void =>
    setMessages((all) => all.map((m) => (m.id === id ? change(m) : m)));

  const send = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const text = draft.trim();
    if (text === '' || streaming || !connected) return;
    const user: Message = {
      id: nextId.current++,
      role: 'user',
      content: text,
      receipt: null,
      state: 'done',
      error: null,
    };
    const answer: Message = {
      id: nextId.current++,
      role: 'assistant',
      content: '',
      receipt: null,
      state: 'streaming',
      error: null,
    };
    const turns = turnsOf([...messages, user]);
    setMessages((all) => [...all, user, answer]);
    setDraft('');
    const controller = new AbortController();
    running.current = controller;
    setStreaming(true);
    try {
      let finished = false;
      for await (const chatEvent of mesh.chat(turns, { signal: controller.signal })) {
        if (chatEvent.type === 'receipt') {
          update(answer.id, (m) => ({
            ...m,
            receipt: `answered by ${chatEvent.nodeName} · ${chatEvent.model}`,
          }));
        } else if (chatEvent.type === 'delta') {
          update(answer.id, (m) => ({ ...m, content: m.content + chatEvent.content }));
        } else {
          finished = true;
          break;
        }
      }
      if (controller.signal.aborted) update(answer.id, (m) => ({ ...m, state: 'stopped' }));
      else if (finished) update(answer.id, (m) => ({ ...m, state: 'done' }));
      else {
        update(answer.id, (m) => ({
          ...m,
          state: 'failed',
          error: 'The answer ended before it was complete.',
        }));
      }
    } catch (err) {
      if (controller.signal.aborted) update(answer.id, (m) => ({ ...m, state: 'stopped' }));
      else update(answer.id, (m) => ({ ...m, state: 'failed', error: errorText(err) }));
    } finally {
      if (running.current === controller) running.current = null;
      setStreaming(false);
    }
  };

  return (
    <div className="chat">
      <ScreenTitle>Chat</ScreenTitle>
      {!connected && (
        <p className="notice">
          Chat needs a connection to the mesh
          {status.state === 'unreachable' ? ': no member answers right now, retrying.' : '.'}
        </p>
      )}
      <div className="conversation" role="log" aria-label="Conversation">
        {messages.length === 0 && (
          <p className="muted">Ask anything: the mesh picks the best model on your devices to answer.</p>
        )}
        {messages.map((m) => (
          <div key={m.id} className={`bubble ${m.role} ${m.state}`}>
            {m.receipt !== null && <div className="receipt">{m.receipt}</div>}
            <div className="content">
              {m.content === '' && m.state === 'streaming' ? <span className="muted">…</span> : m.content}
            </div>
            {m.state === 'stopped' && <div className="muted small">Stopped.</div>}
            {m.error !== null && (
              <div className="error" role="alert">
                {m.error}
              </div>
            )}
          </div>
        ))}
      </div>
      <form className="composer" onSubmit={(e) => void send(e)}>
        <label className="visually-hidden" htmlFor="chat-message">
          Message
        </label>
        <textarea
          id="chat-message"
          rows={2}
          value={draft}
          disabled={!connected}
          onChange={(e) => setDraft(e.target.value)}
          placeholder={connected ? 'Ask the mesh…' : 'Not connected'}
        />
        {streaming ? (
          <button type="button" className="secondary" onClick={() => running.current?.abort()}>
            Stop
          </button>
        ) : (
          <button type="submit" disabled={!connected || draft.trim() === ''}>
            Send
          </button>
        )}
      </form>
    </div>
  );
}
