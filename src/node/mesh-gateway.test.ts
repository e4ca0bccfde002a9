import { describe, expect, it } from 'vitest';
import type {
  BackendModel,
  Capability,
  ChatChunk,
  InferenceBackend,
  InvokeFrame,
  InvokeRequest,
} from '../core/index.js';
import { BackendUnavailableError, ManualClock, ModelNotFoundError, silentLogger } from '../core/index.js';
import { SemanticRouter, WordVectorEmbedder } from '../router/index.js';
import { SqliteStore } from '../store/index.js';
import { capabilityForModel } from './backend-capabilities.js';
import { resolveConfig } from './config-file.js';
import { MeshGateway } from './mesh-gateway.js';

const SELF = '12D3KooWSelf';
const PEER = '12D3KooWPeer';

const model: BackendModel = {
  id: 'llama3.2:3b',
  name: 'llama3.2:3b',
  kind: 'chat',
  features: [],
  family: 'llama',
  parameterSize: '3.2B',
  quantization: 'Q4_K_M',
  sizeBytes: null,
  contextLength: null,
  loaded: null,
  vramBytes: null,
  description: null,
  price: null,
};

function backend(chunks: () => AsyncIterable<ChatChunk>): InferenceBackend {
  return {
    kind: 'ollama',
    name: 'ollama',
    url: 'http://127.0.0.1:1',
    health: () => Promise.reject(new Error('unused')),
    listModels: () => Promise.resolve([model]),
    chat: () => Promise.reject(new Error('unused')),
    chatStream: chunks,
  };
}

/** A backend whose server refuses the connection: the stream fails before its first chunk. */
function failing(): AsyncIterable<ChatChunk> {
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => Promise.reject(new BackendUnavailableError('connection refused at http://127.0.0.1:1')),
    }),
  };
}

function setup(localChunks: () => AsyncIterable<ChatChunk>) {
  const store = new SqliteStore({ logger: silentLogger(), clock: new ManualClock(1) });
  const invoked: InvokeRequest[] = [];
  const gateway = new MeshGateway(
    {
      router: new SemanticRouter({ embedder: new WordVectorEmbedder() }),
      mesh: {
        isConnected: (id) => id === PEER,
        invoke: (_nodeId: string, request: InvokeRequest): AsyncIterable<InvokeFrame> => {
          invoked.push(request);
          return (async function* () {
            await Promise.resolve();
            yield { type: 'data', data: { content: 'from the peer' } };
            yield { type: 'data', data: { content: '', finishReason: 'stop' } };
          })();
        },
      },
      audit: store.audit,
      logger: silentLogger(),
      clock: new ManualClock(1000),
    },
    { nodeId: SELF, nodeName: () => 'self' },
  );
  const local = { capabilityId: 'ollama/llama3.2:3b', backend: backend(localChunks), model };
  return { gateway, local, invoked, store };
}

const remoteCap = (): Capability =>
  capabilityForModel(PEER, { capabilityId: 'ollama/llama3.2:3b', backend: backend(failing), model });

describe('the mesh gateway', () => {
  it('tries the next node when the first fails before its first byte, and says so in the receipt', async () => {
    const { gateway, local, invoked } = setup(failing);
    await gateway.setLocal([local], [capabilityForModel(SELF, local)]);
    await gateway.setRemote(PEER, 'peer', [remoteCap()]);
    const { receipt, result } = await gateway.chat(
      { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }] },
      { requester: 'local' },
    );
    expect(result.content).toBe('from the peer');
    expect(receipt.nodeId).toBe(PEER);
    expect(receipt.attempts.map((a) => [a.nodeId, a.error?.code ?? null])).toEqual([
      [SELF, 'backend_unavailable'],
      [PEER, null],
    ]);
    expect(invoked[0]?.capability).toBe('ollama/llama3.2:3b');
    expect(gateway.explain(receipt.routeId)?.receipt).toEqual(receipt);
  });

  it('refuses a model no reachable node has, naming it', async () => {
    const { gateway } = setup(failing);
    await expect(
      gateway.chat(
        { model: 'mistral:7b', messages: [{ role: 'user', content: 'hi' }] },
        { requester: 'local' },
      ),
    ).rejects.toThrow(ModelNotFoundError);
  });

  it('serves a peer only what the owner exposes, and audits both answers', async () => {
    const { gateway, local, store } = setup(async function* () {
      await Promise.resolve();
      yield { content: 'local answer', finishReason: 'stop' };
    });
    const cap = capabilityForModel(SELF, local);
    await gateway.setLocal([local], [cap]);
    const request = {
      capability: cap.id,
      input: { op: 'chat', request: { model: 'x', messages: [{ role: 'user', content: 'hi' }] } },
    };
    const context = { nodeId: PEER, meshIds: ['mesh-a'], signal: new AbortController().signal };
    const served: unknown[] = [];
    for await (const chunk of gateway.serve(request, context)) served.push(chunk);
    expect(served).toEqual([{ content: 'local answer', finishReason: 'stop' }]);

    const closed = new MeshGateway(
      {
        router: new SemanticRouter({ embedder: new WordVectorEmbedder() }),
        mesh: { isConnected: () => true, invoke: () => (async function* () {})() },
        audit: store.audit,
        logger: silentLogger(),
        clock: new ManualClock(1),
      },
      {
        nodeId: SELF,
        nodeName: () => 'self',
        policy: () => resolveConfig({ flags: { expose: { models: { ollama: ['qwen3:*'] } } } }).config,
      },
    );
    await closed.setLocal([local], [cap]);
    await expect(async () => {
      for await (const _ of closed.serve(request, context)) void _;
    }).rejects.toThrow(/not exposed/);
    const decisions = store.audit.query().map((e) => [e.requester, e.target, e.decision, e.rule]);
    expect(decisions).toHaveLength(2);
    expect(decisions).toEqual(
      expect.arrayContaining([
        [PEER, cap.id, 'refused', 'expose.models.ollama'],
        [PEER, cap.id, 'allowed', null],
      ]),
    );
  });
});
