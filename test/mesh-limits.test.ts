/**
 * The owner's rules hold where work executes: two real nodes in one process over loopback libp2p.
 * The owner serves its Ollama models (a double speaking Ollama's API on 127.0.0.1) through the
 * mesh gateway with its work limiter and power monitor; the peer asks over the invoke protocol.
 * A model the owner did not expose, a device on battery with `off_battery_only`, a model over the
 * VRAM cap and a full queue are refused before the backend, and the audit log names the rule.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry, ConfigInput, InvokeRequest, PowerInfo, ResolvedConfig } from '../src/core/index.js';
import { silentLogger } from '../src/core/index.js';
import { OllamaBackend } from '../src/integrations/index.js';
import type { MeshService } from '../src/mesh/index.js';
import { SemanticRouter, WordVectorEmbedder } from '../src/router/index.js';
import { SqliteStore } from '../src/store/index.js';
import type { LocalModel } from '../src/node/backend-capabilities.js';
import { capabilityForModel, capabilityIdFor } from '../src/node/backend-capabilities.js';
import { resolveConfig } from '../src/node/config-file.js';
import { MeshGateway } from '../src/node/mesh-gateway.js';
import { PowerMonitor } from '../src/node/power-monitor.js';
import { WorkLimiter } from '../src/node/work-limiter.js';
import { DEFAULT_REPLY } from './doubles/double-server.js';
import { OllamaDouble } from './doubles/ollama-double.js';
import { systemClock } from './mesh-fixtures.js';
import { TestMesh, connectedIds, waitFor } from './mesh-helpers.js';

const LLAMA = 'ollama/llama3.2:3b';
const QWEN = 'ollama/qwen3:1.7b';
const GB = 1_000_000_000;

const chatInput = (model: string, content = 'hi') => ({
  op: 'chat',
  request: { model, messages: [{ role: 'user', content }] },
});

describe('limits and exposure enforced where mesh work executes', () => {
  const mesh = new TestMesh();
  const store = new SqliteStore({ logger: silentLogger(), clock: systemClock });
  let ollama: OllamaDouble;
  let owner: MeshService;
  let peer: MeshService;
  let peerGateway: MeshGateway;
  let ownerGateway: MeshGateway;
  let power: PowerMonitor;
  let policy: ResolvedConfig;
  let powerNow: PowerInfo['source'] = 'ac';
  let gpuMemory: number | null = null;
  /** Chat requests the double is answering right now, and the most at once. */
  const inFlight = { replies: 0, finishedBefore: 0, max: 0 };
  let auditMark = 0;

  const setPolicy = (input: ConfigInput): void => {
    policy = resolveConfig({ flags: input }).config;
  };
  const chatRequests = (): number => ollama.requestsTo('/api/chat').length;
  /** Entries written since the test began, in the order they were written. */
  const auditSince = (): AuditEntry[] =>
    store.audit
      .query({ limit: 10_000 })
      .filter((e) => e.id > auditMark)
      .sort((a, b) => a.id - b.id);

  /** The peer asks the owner directly, as any member may (whatever the owner announced). */
  const invoke = async (capability: string, input: unknown): Promise<unknown[]> => {
    const out: unknown[] = [];
    const request: InvokeRequest = { capability, input };
    for await (const frame of peer.invoke(owner.nodeId, request)) out.push(frame.data);
    return out;
  };

  beforeAll(async () => {
    ollama = await OllamaDouble.start();
    owner = await mesh.node(81);
    peer = await mesh.node(82);
    const { meshId } = await owner.createMesh('Home');
    await peer.join((await owner.createInvite({ meshId })).token);
    await waitFor(() => connectedIds(peer).includes(owner.nodeId), 'the peer to connect to the owner');

    const logger = silentLogger();
    const backend = new OllamaBackend({ logger, clock: systemClock }, { url: ollama.url });
    const models: LocalModel[] = (await backend.listModels()).map((model) => ({
      capabilityId: capabilityIdFor(backend, model),
      backend,
      model,
    }));
    const capabilities = models.map((m) => capabilityForModel(owner.nodeId, m));
    const limiter = new WorkLimiter(
      { clock: systemClock, logger },
      {
        limits: () => ({ maxConcurrent: policy.limits.max_concurrent, maxQueue: policy.limits.max_queue }),
      },
    );
    power = new PowerMonitor(
      { clock: systemClock, logger, source: () => Promise.resolve(powerInfo(powerNow)) },
      { refreshIntervalMs: 60_000 },
    );
    await power.start();
    ownerGateway = new MeshGateway(
      {
        router: new SemanticRouter({ embedder: new WordVectorEmbedder() }),
        mesh: { invoke: (id, r, o) => owner.invoke(id, r, o), isConnected: () => true },
        audit: store.audit,
        logger,
        clock: systemClock,
        limiter,
        power,
      },
      {
        nodeId: owner.nodeId,
        nodeName: () => 'owner',
        policy: () => policy,
        gpuMemoryBytes: () => gpuMemory,
      },
    );
    await ownerGateway.setLocal(models, capabilities);
    const serving = ownerGateway;
    owner.handleInvoke((request, context) => serving.serve(request, context));

    peerGateway = new MeshGateway(
      {
        router: new SemanticRouter({ embedder: new WordVectorEmbedder() }),
        mesh: {
          invoke: (id, r, o) => peer.invoke(id, r, o),
          isConnected: (id) => connectedIds(peer).includes(id),
        },
        audit: new SqliteStore({ logger, clock: systemClock }).audit,
        logger,
        clock: systemClock,
      },
      { nodeId: peer.nodeId, nodeName: () => 'peer' },
    );
    await peerGateway.setRemote(owner.nodeId, 'owner', capabilities);
  }, 60_000);

  afterAll(async () => {
    await power.stop();
    await mesh.stopAll();
    await ollama.close();
    store.close();
  });

  beforeEach(async () => {
    setPolicy({});
    powerNow = 'ac';
    await power.refresh();
    gpuMemory = null;
    ollama.set({ reply: DEFAULT_REPLY, chunkDelayMs: 0, headerDelayMs: 0, errorResponse: null });
    auditMark = Math.max(0, ...store.audit.query({ limit: 10_000 }).map((e) => e.id));
  });

  it('refuses a model the owner did not expose before it reaches Ollama, and audits the rule', async () => {
    setPolicy({ expose: { models: { ollama: ['qwen3:*'] } } });
    const before = chatRequests();
    await expect(invoke(LLAMA, chatInput('llama3.2:3b'))).rejects.toMatchObject({
      code: 'invoke_remote_error',
      details: { remoteCode: 'not_exposed' },
      message: expect.stringContaining(
        'ollama/llama3.2:3b is not exposed to the mesh by its owner (expose.models.ollama)',
      ),
    });
    expect(chatRequests()).toBe(before);
    // the exposed one still runs, through the peer's own gateway
    const { result, receipt } = await peerGateway.chat(
      { model: 'qwen3:1.7b', messages: [{ role: 'user', content: 'hi' }] },
      { requester: 'local' },
    );
    expect(result.content).toBe('Hello from the double.');
    expect(receipt.nodeId).toBe(owner.nodeId);
    expect(chatRequests()).toBe(before + 1);

    setPolicy({ access: { mesh_ids: ['mesh-work-*'] } });
    await expect(invoke(QWEN, chatInput('qwen3:1.7b'))).rejects.toMatchObject({
      details: { remoteCode: 'not_exposed' },
      message: expect.stringContaining('access.mesh_ids'),
    });
    expect(chatRequests()).toBe(before + 1);

    const audit = auditSince().map((e) => [e.requester, e.target, e.decision, e.rule]);
    expect(audit).toEqual([
      [peer.nodeId, LLAMA, 'refused', 'expose.models.ollama'],
      [peer.nodeId, QWEN, 'allowed', null],
      [peer.nodeId, QWEN, 'refused', 'access.mesh_ids'],
    ]);
    const allowed = auditSince()[1]!;
    expect(allowed.bytesIn).toBe(Buffer.byteLength(JSON.stringify(chatInput('qwen3:1.7b'))));
    expect(allowed.bytesOut).toBeGreaterThan(0);
    expect(allowed.tool).toBe('chat');
  });

  it('runs at most max_concurrent of 50 parallel requests, queues max_queue and refuses the rest as busy', async () => {
    setPolicy({ limits: { max_concurrent: 3, max_queue: 10 } });
    const finished = (): number => ollama.stats.completed + ollama.stats.aborted + ollama.stats.failed;
    inFlight.replies = 0;
    inFlight.finishedBefore = finished();
    inFlight.max = 0;
    ollama.set({
      // slow at first, so all 50 are decided while the first three still run
      chunkDelayMs: 250,
      reply: () => {
        // this request and every earlier one the double has not finished yet
        inFlight.replies++;
        inFlight.max = Math.max(inFlight.max, inFlight.replies - (finished() - inFlight.finishedBefore));
        return DEFAULT_REPLY;
      },
    });
    const before = chatRequests();
    const outcomes = Array.from({ length: 50 }, (_, i) =>
      peerGateway
        .chat(
          { model: 'llama3.2:3b', messages: [{ role: 'user', content: `request ${i}` }] },
          { requester: 'local' },
        )
        .then(
          ({ result }) => ({ ok: result.content }),
          (err: { message?: string; details?: { remoteCode?: string } }) => ({
            refused: err.details?.remoteCode ?? err.message ?? 'unknown',
          }),
        ),
    );
    let settled = 0;
    for (const o of outcomes) void o.then(() => settled++);
    await waitFor(() => settled >= 37, '37 requests to be refused', 20_000);
    ollama.set({ chunkDelayMs: 5 });
    const results = await Promise.all(outcomes);

    const ok = results.filter((r) => 'ok' in r);
    const busy = results.filter((r) => 'refused' in r && r.refused === 'node_busy');
    expect(ok).toHaveLength(13);
    expect(busy).toHaveLength(37);
    expect(ok.every((r) => 'ok' in r && r.ok === 'Hello from the double.')).toBe(true);
    expect(chatRequests() - before).toBe(13);
    expect(inFlight.max).toBeLessThanOrEqual(3);
    expect(inFlight.max).toBe(3);

    const audit = auditSince();
    expect(audit).toHaveLength(50);
    expect(audit.filter((e) => e.decision === 'allowed' && e.detail === null)).toHaveLength(13);
    const refused = audit.filter((e) => e.decision === 'refused');
    expect(refused).toHaveLength(37);
    expect(new Set(refused.map((e) => e.rule))).toEqual(new Set(['limits.max_concurrent']));
    expect(refused[0]?.detail).toMatch(/busy: 3 requests running .* and 10 waiting/);
  });

  it('refuses mesh work on battery when the owner serves only when plugged in', async () => {
    setPolicy({ limits: { off_battery_only: true } });
    powerNow = 'battery';
    await power.refresh();
    const before = chatRequests();
    await expect(invoke(QWEN, chatInput('qwen3:1.7b'))).rejects.toMatchObject({
      details: { remoteCode: 'on_battery' },
      message: expect.stringContaining('limits.off_battery_only'),
    });
    expect(chatRequests()).toBe(before);

    powerNow = 'ac';
    await power.refresh();
    await expect(invoke(QWEN, chatInput('qwen3:1.7b'))).resolves.not.toHaveLength(0);
    expect(chatRequests()).toBe(before + 1);
    expect(auditSince().map((e) => [e.decision, e.rule])).toEqual([
      ['refused', 'limits.off_battery_only'],
      ['allowed', null],
    ]);
  });

  it('applies limits changed while the node runs to the next request', async () => {
    // one slot, no queue: of two at once, one is busy
    setPolicy({ limits: { max_concurrent: 1, max_queue: 0 } });
    ollama.set({ chunkDelayMs: 60 });
    const pair = () =>
      Promise.allSettled([invoke(QWEN, chatInput('qwen3:1.7b')), invoke(QWEN, chatInput('qwen3:1.7b'))]);
    const first = await pair();
    expect(first.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(first.find((r) => r.status === 'rejected')).toMatchObject({
      reason: { details: { remoteCode: 'node_busy' } },
    });
    // the owner raises the limit: both run
    setPolicy({ limits: { max_concurrent: 2, max_queue: 0 } });
    const second = await pair();
    expect(second.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);

    // the VRAM cap follows the config too: llama3.2:3b is loaded with 2.5 GB on a 4 GB GPU
    gpuMemory = 4 * GB;
    setPolicy({ limits: { max_vram_percent: 50 } });
    const before = chatRequests();
    await expect(invoke(LLAMA, chatInput('llama3.2:3b'))).rejects.toMatchObject({
      details: { remoteCode: 'vram_limit' },
      message: expect.stringMatching(/needs 2\.3 GB of GPU memory, more than the 50% of 3\.7 GB/),
    });
    expect(chatRequests()).toBe(before);
    setPolicy({ limits: { max_vram_percent: 80 } });
    await expect(invoke(LLAMA, chatInput('llama3.2:3b'))).resolves.not.toHaveLength(0);
    setPolicy({ expose: { hardware: { gpu: false } } });
    await expect(invoke(LLAMA, chatInput('llama3.2:3b'))).rejects.toMatchObject({
      details: { remoteCode: 'vram_limit' },
      message: expect.stringContaining('expose.hardware.gpu'),
    });
    expect(chatRequests()).toBe(before + 1);

    const rules = auditSince()
      .filter((e) => e.decision === 'refused')
      .map((e) => e.rule);
    expect(rules).toEqual(['limits.max_concurrent', 'limits.max_vram_percent', 'expose.hardware.gpu']);
  });

  it('gives the slot back when the backend fails or the peer goes away mid-stream', async () => {
    setPolicy({ limits: { max_concurrent: 1, max_queue: 0 } });
    ollama.set({ errorResponse: { status: 500, message: 'out of memory' } });
    await expect(invoke(QWEN, chatInput('qwen3:1.7b'))).rejects.toMatchObject({
      message: expect.stringContaining('out of memory'),
    });
    ollama.set({ errorResponse: null, chunkDelayMs: 100 });
    const controller = new AbortController();
    const frames: unknown[] = [];
    await expect(
      (async () => {
        for await (const frame of peer.invoke(
          owner.nodeId,
          { capability: QWEN, input: chatInput('qwen3:1.7b') },
          { signal: controller.signal },
        )) {
          frames.push(frame.data);
          controller.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'aborted' });
    expect(frames).toHaveLength(1);
    ollama.set({ chunkDelayMs: 0 });
    // the owner notices the peer left and frees the only slot: a new request runs
    let answer: unknown[] | null = null;
    for (let i = 0; i < 100 && answer === null; i++) {
      answer = await invoke(QWEN, chatInput('qwen3:1.7b')).catch(
        (err: { details?: { remoteCode?: string } }) => {
          if (err.details?.remoteCode !== 'node_busy') throw err;
          return null;
        },
      );
      if (answer === null) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(answer).not.toBeNull();
    const allowed = auditSince().filter((e) => e.decision === 'allowed');
    expect(allowed[0]?.detail).toMatch(/^failed: .*out of memory/);
    expect(allowed[1]?.detail).toMatch(/cancelled|abort/i);
    expect(allowed.at(-1)?.detail).toBeNull();
  });

  it("audits this node's own use of its models only when log_all_requests is on", async () => {
    const ask = () =>
      ownerGateway.chat(
        { model: 'qwen3:1.7b', messages: [{ role: 'user', content: 'hi' }] },
        { requester: 'local' },
      );
    await ask();
    expect(auditSince()).toHaveLength(0);
    setPolicy({ access: { log_all_requests: true } });
    const { result } = await ask();
    expect(result.content).toBe('Hello from the double.');
    expect(auditSince()).toMatchObject([
      { requester: owner.nodeId, target: QWEN, tool: 'chat', decision: 'allowed', detail: 'local' },
    ]);
    expect(auditSince()[0]?.bytesOut).toBeGreaterThan(0);
    expect(auditSince()[0]?.bytesIn).toBeGreaterThan(0);
  });
});

function powerInfo(source: PowerInfo['source']): PowerInfo {
  return {
    source,
    hasBattery: source === 'battery',
    batteryPercent: source === 'battery' ? 40 : null,
    charging: source === 'battery' ? false : null,
    timeRemainingMinutes: null,
  };
}
