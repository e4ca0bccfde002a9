/**
 * For the phone app's component tests: a fake `PhoneMesh` whose status, join outcome, chat stream
 * and request log the test drives (every call is recorded), and fake capabilities.
 */
import { configure } from '@testing-library/react';
import type {
  ChatEvent,
  ChatTurn,
  PhoneCapability,
  PhoneMesh,
  PhoneMeshStatus,
  PhoneRequestRecord,
  TriggerEmitter,
} from './contract.js';

// the machines tests run on are shared and busy: give `findBy…` more than the default second
configure({ asyncUtilTimeout: 5000 });

export const NOT_JOINED: PhoneMeshStatus = {
  state: 'not-joined',
  nodeId: '12D3KooWPhoneNodeIdAbcdefghijklmnopqrstuvwxyz1',
  meshes: [],
  peers: [],
  addresses: [],
  detail: null,
};

export const CONNECTED: PhoneMeshStatus = {
  state: 'connected',
  nodeId: '12D3KooWPhoneNodeIdAbcdefghijklmnopqrstuvwxyz1',
  meshes: [{ id: 'mesh-1', name: 'home', role: 'member' }],
  peers: [
    {
      nodeId: '12D3KooWLaptop',
      name: 'laptop',
      connected: true,
      transport: 'relayed',
      rttMs: 42.4,
      capabilityCount: 3,
    },
    {
      nodeId: '12D3KooWGpuBox',
      name: 'gpu-box',
      connected: false,
      transport: null,
      rttMs: null,
      capabilityCount: 1,
    },
  ],
  addresses: [],
  detail: null,
};

export class FakePhoneMesh implements PhoneMesh {
  current: PhoneMeshStatus;
  readonly joins: string[] = [];
  readonly exposed: string[][] = [];
  readonly chats: ChatTurn[][] = [];
  leaves = 0;
  /** What `join` does; by default the phone becomes a connected member. */
  joinImpl: (token: string, signal: AbortSignal | undefined) => Promise<void> = () => {
    this.setStatus(CONNECTED);
    return Promise.resolve();
  };
  /** What `chat` streams. */
  chatImpl: (turns: readonly ChatTurn[], signal: AbortSignal | undefined) => AsyncIterable<ChatEvent> =
    async function* () {
      await Promise.resolve();
      yield { type: 'done' };
    };
  setExposedImpl: (capabilities: readonly PhoneCapability[]) => Promise<void> = () => Promise.resolve();
  private requests: PhoneRequestRecord[] = [];
  private readonly statusListeners = new Set<(status: PhoneMeshStatus) => void>();
  private readonly requestListeners = new Set<(record: PhoneRequestRecord) => void>();

  constructor(status: PhoneMeshStatus = NOT_JOINED) {
    this.current = status;
  }

  setStatus(status: PhoneMeshStatus): void {
    this.current = status;
    for (const listener of this.statusListeners) listener(status);
  }

  addRequest(record: PhoneRequestRecord): void {
    this.requests = [record, ...this.requests];
    for (const listener of this.requestListeners) listener(record);
  }

  status(): PhoneMeshStatus {
    return this.current;
  }

  onStatus(listener: (status: PhoneMeshStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  join(tokenOrLink: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    this.joins.push(tokenOrLink);
    return this.joinImpl(tokenOrLink, options.signal);
  }

  setExposed(capabilities: readonly PhoneCapability[]): Promise<void> {
    this.exposed.push(capabilities.map((c) => c.spec.id));
    return this.setExposedImpl(capabilities);
  }

  chat(turns: readonly ChatTurn[], options: { signal?: AbortSignal } = {}): AsyncIterable<ChatEvent> {
    this.chats.push([...turns]);
    return this.chatImpl(turns, options.signal);
  }

  recentRequests(): readonly PhoneRequestRecord[] {
    return this.requests;
  }

  onRequest(listener: (record: PhoneRequestRecord) => void): () => void {
    this.requestListeners.add(listener);
    return () => this.requestListeners.delete(listener);
  }

  leave(): Promise<void> {
    this.leaves++;
    this.setStatus({ ...NOT_JOINED, nodeId: this.current.nodeId });
    return Promise.resolve();
  }
}

/** A capability that answers `run` with `result` (or its `runImpl`). */
export class FakeCapability implements PhoneCapability {
  readonly spec: PhoneCapability['spec'];
  readonly label: string;
  readonly runs: { tool: string; args: Record<string, unknown> }[] = [];
  runImpl: (tool: string, args: Record<string, unknown>) => Promise<unknown> = () => Promise.resolve({});

  constructor(id: string, label: string, type = 'sensor/test') {
    this.label = label;
    this.spec = { id, type, description: `${label} of the phone`, tools: [], triggers: [], metadata: {} };
  }

  run(tool: string, args: Record<string, unknown>): Promise<unknown> {
    this.runs.push({ tool, args });
    return this.runImpl(tool, args);
  }

  watch(_emit: TriggerEmitter): () => void {
    return () => undefined;
  }
}

export function fakeCapabilities(): FakeCapability[] {
  return [
    new FakeCapability('phone/camera', 'Camera', 'sensor/camera'),
    new FakeCapability('phone/microphone', 'Microphone', 'audio/capture'),
    new FakeCapability('phone/location', 'Location', 'sensor/location'),
    new FakeCapability('phone/motion', 'Motion', 'sensor/motion'),
    new FakeCapability('phone/notify', 'Notifications', 'notify/push'),
  ];
}

/** A chat stream that waits for `release()` before each of its events. */
export function gatedStream(events: readonly ChatEvent[]): {
  stream: (turns: readonly ChatTurn[], signal: AbortSignal | undefined) => AsyncIterable<ChatEvent>;
  release: () => void;
} {
  const waiting: (() => void)[] = [];
  let released = 0;
  const next = (): Promise<void> =>
    released > 0 ? Promise.resolve(void released--) : new Promise((resolve) => waiting.push(resolve));
  return {
    release: () => {
      const resolve = waiting.shift();
      if (resolve === undefined) released++;
      else resolve();
    },
    stream: async function* (_turns, signal) {
      for (const event of events) {
        await Promise.race([
          next(),
          new Promise<void>((_, reject) => {
            if (signal?.aborted === true) reject(new DOMException('aborted', 'AbortError'));
            signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), {
              once: true,
            });
          }),
        ]);
        yield event;
      }
    },
  };
}
