/**
 * The phone's presence on its mesh: a `MeshService` (the same engine as a node's) on WebCrypto and
 * a dial-only libp2p node, with this phone's own Ed25519 identity and membership credential. It
 * announces the capabilities the owner approved on this phone, serves the mesh's tool calls on them
 * (anything else is refused, and every request is recorded), publishes their triggers, and sends
 * chats to a connected node to be routed (`model: "auto"`).
 */
import type {
  ChatRequest,
  InvokeContext,
  InvokeRequest,
  Logger,
  TriggerPriority,
  AtmosphereError,
} from '../../../../src/core/index.js';
import {
  InvalidInputError,
  MESH_ROUTE_CAPABILITY,
  NoCapabilityError,
  NotExposedError,
  UnknownToolError,
  toAtmosphereError,
} from '../../../../src/core/index.js';
import type { MeshService } from '../../../../src/mesh/browser.js';
import type {
  ChatEvent,
  ChatTurn,
  PhoneCapability,
  PhoneMesh,
  PhoneMeshPeer,
  PhoneMeshState,
  PhoneMeshStatus,
  PhoneRequestRecord,
} from '../contract.js';

/** Recent requests kept (and shown). */
const MAX_RECORDS = 100;
/** A member not reached within this long after start (or after losing the last one) is "unreachable". */
const CONNECTING_GRACE_MS = 8_000;
const STATUS_POLL_MS = 1_000;
/** While no member answers, dial them all again this often (on top of the engine's back-off). */
const UNREACHABLE_REDIAL_MS = 15_000;

export interface PhoneRuntimeComponents {
  readonly mesh: MeshService;
  readonly logger: Logger;
  readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  readonly now: () => number;
}

export interface PhoneRuntimeInit {
  /** Shown to members (the node name). */
  readonly name: string;
  readonly version: string;
  /** Why the saved mesh state could not be loaded, if it could not. */
  readonly loadError?: string | null;
}

interface RevokedMark {
  readonly meshId: string;
  readonly reason: string;
}

const REVOKED_KEY = 'atmosphere.phone.revoked';
const RECORDS_KEY = 'atmosphere.phone.requests';

function parseJoinInput(text: string): string {
  const trimmed = text.trim();
  const fragment = /#join=(.+)$/.exec(trimmed);
  const value = fragment?.[1] !== undefined ? decodeURIComponent(fragment[1]) : trimmed;
  return value.replace(/^atmosphere:\/\/join\//, '');
}

/** A string field of a peer's frame, or '' when it is not a string. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function toolArguments(input: unknown): { tool: string; args: Record<string, unknown> } {
  const value = input as { op?: unknown; tool?: unknown; arguments?: unknown } | null;
  if (value === null || typeof value !== 'object' || value.op !== 'tool')
    throw new InvalidInputError('a phone runs device tools only (op "tool")');
  if (typeof value.tool !== 'string' || value.tool.length === 0 || value.tool.length > 64)
    throw new InvalidInputError('the tool name must be a non-empty string');
  const args = value.arguments ?? {};
  if (args === null || typeof args !== 'object' || Array.isArray(args))
    throw new InvalidInputError('tool arguments must be a JSON object');
  return { tool: value.tool, args: args as Record<string, unknown> };
}

export class PhoneRuntime implements PhoneMesh {
  private readonly c: PhoneRuntimeComponents;
  private readonly init: PhoneRuntimeInit;
  private exposed = new Map<string, PhoneCapability>();
  private readonly watchers = new Map<string, () => void>();
  private records: PhoneRequestRecord[] = [];
  private readonly statusListeners = new Set<(status: PhoneMeshStatus) => void>();
  private readonly requestListeners = new Set<(record: PhoneRequestRecord) => void>();
  private lastStatusJson = '';
  private lastConnectedMs: number;
  private joinError: string | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;
  private eventSeq = 0;
  private lastStatusState: PhoneMeshState = 'connecting';
  private lastRedialMs = 0;

  constructor(components: PhoneRuntimeComponents, init: PhoneRuntimeInit) {
    this.c = components;
    this.init = init;
    this.lastConnectedMs = components.now();
    this.records = this.loadRecords();
    this.joinError = init.loadError ?? null;
    const mesh = components.mesh;
    mesh.handleInvoke((request, context) => this.serve(request, context));
    mesh.addEventListener('revocation', (event) => {
      if (event.detail.self) this.markRevoked({ meshId: event.detail.meshId, reason: event.detail.reason });
      this.emitStatus();
    });
    mesh.addEventListener('peer:joined', () => {
      this.emitStatus();
    });
    mesh.addEventListener('peer:left', () => {
      this.emitStatus();
    });
  }

  /** Starts the mesh engine (dialing the members it knows) and the status updates. */
  async start(): Promise<void> {
    await this.c.mesh.start();
    this.timer = setInterval(() => {
      this.emitStatus();
      if (
        this.lastStatusState === 'unreachable' &&
        this.c.now() - this.lastRedialMs >= UNREACHABLE_REDIAL_MS
      ) {
        this.reconnect();
      }
    }, STATUS_POLL_MS);
    await this.announce();
    this.emitStatus();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const stop of this.watchers.values()) stop();
    this.watchers.clear();
    await this.c.mesh.stop();
  }

  // ---- status ----------------------------------------------------------------------------

  private revokedMark(): RevokedMark | null {
    const raw = this.c.storage.getItem(REVOKED_KEY);
    if (raw === null) return null;
    try {
      const parsed = JSON.parse(raw) as Partial<RevokedMark>;
      return typeof parsed.meshId === 'string' && typeof parsed.reason === 'string'
        ? { meshId: parsed.meshId, reason: parsed.reason }
        : null;
    } catch {
      return null;
    }
  }

  private markRevoked(mark: RevokedMark): void {
    this.c.storage.setItem(REVOKED_KEY, JSON.stringify(mark));
  }

  status(): PhoneMeshStatus {
    const mesh = this.c.mesh;
    const meshes = mesh.meshes().map((m) => ({ id: m.meshId, name: m.name, role: m.role }));
    const peers = mesh.peers();
    const view: PhoneMeshPeer[] = peers.map((p) => ({
      nodeId: p.nodeId,
      name: p.name,
      connected: p.connected,
      transport: p.transport,
      rttMs: p.rttMs,
      capabilityCount: p.capabilityCount,
    }));
    const connected = peers.some((p) => p.connected);
    const now = this.c.now();
    if (connected) this.lastConnectedMs = now;
    // a member that refuses us because we were revoked says so in its handshake reply
    const refusal = peers.find((p) => p.reason === 'revoked' && (p.detail ?? '').startsWith('peer refused'));
    if (refusal !== undefined && meshes.length > 0 && !connected) {
      this.markRevoked({ meshId: meshes[0]?.id ?? '', reason: refusal.detail ?? 'revoked' });
    }
    const revoked = this.revokedMark();
    let state: PhoneMeshState;
    let detail: string | null = null;
    if (revoked !== null && !connected) {
      state = 'revoked';
      detail = revoked.reason;
    } else if (meshes.length === 0) {
      state = 'not-joined';
      detail = this.joinError;
    } else if (connected) {
      state = 'connected';
    } else if (now - this.lastConnectedMs < CONNECTING_GRACE_MS) {
      state = 'connecting';
    } else {
      state = 'unreachable';
      const why = peers.find((p) => p.detail !== null)?.detail ?? null;
      detail = why === null ? 'no member of the mesh answers' : `no member of the mesh answers (${why})`;
    }
    return {
      state,
      nodeId: mesh.nodeId,
      meshes,
      peers: view,
      addresses: mesh.addresses(),
      detail,
    };
  }

  onStatus(listener: (status: PhoneMeshStatus) => void): () => void {
    this.statusListeners.add(listener);
    listener(this.status());
    return () => {
      this.statusListeners.delete(listener);
    };
  }

  /** Dials the mesh again at once (the app calls it when the phone comes back online or to the foreground). */
  reconnect(): void {
    this.lastRedialMs = this.c.now();
    this.c.mesh.redialNow();
  }

  private emitStatus(): void {
    const status = this.status();
    this.lastStatusState = status.state;
    const json = JSON.stringify(status);
    if (json === this.lastStatusJson) return;
    this.lastStatusJson = json;
    for (const listener of this.statusListeners) listener(status);
  }

  // ---- joining ---------------------------------------------------------------------------

  async join(tokenOrLink: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const token = parseJoinInput(tokenOrLink);
    if (token.length === 0) throw new InvalidInputError('paste the invite (or open the invite link) first');
    try {
      await this.c.mesh.join(token, options);
      this.joinError = null;
      this.c.storage.removeItem(REVOKED_KEY);
      this.lastConnectedMs = this.c.now();
      await this.announce();
    } catch (err) {
      const e = toAtmosphereError(err);
      this.joinError = e.message;
      throw e;
    } finally {
      this.emitStatus();
    }
  }

  async leave(): Promise<void> {
    for (const m of this.c.mesh.meshes()) await this.c.mesh.leave(m.meshId);
    this.c.storage.removeItem(REVOKED_KEY);
    this.emitStatus();
  }

  // ---- capabilities ----------------------------------------------------------------------

  async setExposed(capabilities: readonly PhoneCapability[]): Promise<void> {
    const next = new Map(capabilities.map((c) => [c.spec.id, c]));
    for (const [id, stop] of this.watchers) {
      if (!next.has(id)) {
        stop();
        this.watchers.delete(id);
      }
    }
    this.exposed = next;
    for (const [id, capability] of next) {
      if (this.watchers.has(id)) continue;
      this.watchers.set(
        id,
        capability.watch((trigger, payload) => {
          this.fire(capability, trigger, payload);
        }),
      );
    }
    await this.announce();
  }

  private async announce(): Promise<void> {
    const capabilities = [...this.exposed.values()].map((c) => ({
      id: c.spec.id,
      type: c.spec.type,
      description: c.spec.description,
      tools: c.spec.tools.map((t) => ({ ...t })),
      triggers: c.spec.triggers.map((t) => ({ ...t })),
      metadata: { ...c.spec.metadata, device: 'phone' },
    }));
    await this.c.mesh.setAnnouncement({
      summary: {
        name: this.init.name,
        version: this.init.version,
        kind: 'phone',
        types: [...new Set(capabilities.map((c) => c.type))],
      },
      document: { version: 1, node: { name: this.init.name, version: this.init.version }, capabilities },
      capabilityCount: capabilities.length,
    });
  }

  private fire(capability: PhoneCapability, trigger: string, payload: unknown): void {
    const spec = capability.spec.triggers.find((t) => t.name === trigger);
    if (spec === undefined || !this.exposed.has(capability.spec.id)) return;
    const priority: TriggerPriority = spec.priority;
    this.eventSeq += 1;
    const eventId = `ph${this.c.now().toString(36)}${this.eventSeq.toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    this.c.mesh
      .publishEvent({
        eventId,
        capability: capability.spec.id,
        trigger,
        priority,
        payload,
        firedAtMs: this.c.now(),
      })
      .catch((err: unknown) => {
        this.c.logger.warn({ trigger, err: toAtmosphereError(err).message }, 'trigger not published');
      });
  }

  // ---- serving the mesh's tool calls -------------------------------------------------------

  private async *serve(request: InvokeRequest, context: InvokeContext): AsyncGenerator<unknown> {
    const started = this.c.now();
    let tool: string | null = null;
    const record = (decision: 'allowed' | 'refused', detail: string | null): void => {
      this.record({
        id: `${started.toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
        atMs: started,
        requester: context.nodeId,
        requesterName: this.c.mesh.peers().find((p) => p.nodeId === context.nodeId)?.name ?? '',
        capability: request.capability,
        tool,
        decision,
        detail,
        durationMs: this.c.now() - started,
      });
    };
    let capability: PhoneCapability;
    let args: Record<string, unknown>;
    try {
      const parsed = toolArguments(request.input);
      tool = parsed.tool;
      args = parsed.args;
      const exposed = this.exposed.get(request.capability);
      if (exposed === undefined) {
        throw new NotExposedError(`${request.capability} is not shared by this phone's owner`, {
          details: { rule: 'phone.approval', capability: request.capability },
        });
      }
      capability = exposed;
      if (!capability.spec.tools.some((t) => t.name === tool)) {
        throw new UnknownToolError(`${capability.spec.id} has no tool "${tool}"`, {
          details: { capability: capability.spec.id, tool },
        });
      }
    } catch (err) {
      const e = toAtmosphereError(err);
      record('refused', e.message);
      throw e;
    }
    try {
      const result = await capability.run(tool, args, { signal: context.signal });
      record('allowed', null);
      yield result;
    } catch (err) {
      const e = toAtmosphereError(err);
      record('allowed', `failed: ${e.message}`);
      throw e;
    }
  }

  recentRequests(): readonly PhoneRequestRecord[] {
    return this.records;
  }

  onRequest(listener: (record: PhoneRequestRecord) => void): () => void {
    this.requestListeners.add(listener);
    return () => {
      this.requestListeners.delete(listener);
    };
  }

  private record(entry: PhoneRequestRecord): void {
    this.records = [entry, ...this.records].slice(0, MAX_RECORDS);
    this.c.storage.setItem(RECORDS_KEY, JSON.stringify(this.records));
    for (const listener of this.requestListeners) listener(entry);
  }

  private loadRecords(): PhoneRequestRecord[] {
    try {
      const parsed = JSON.parse(this.c.storage.getItem(RECORDS_KEY) ?? '[]') as unknown;
      return Array.isArray(parsed)
        ? (parsed as PhoneRequestRecord[])
            .filter((r) => typeof r === 'object' && r !== null && typeof r.id === 'string')
            .slice(0, MAX_RECORDS)
        : [];
    } catch {
      return [];
    }
  }

  // ---- chat through a node's router --------------------------------------------------------

  async *chat(turns: readonly ChatTurn[], options: { signal?: AbortSignal } = {}): AsyncGenerator<ChatEvent> {
    const request: ChatRequest = {
      model: 'auto',
      messages: turns.map((t) => ({ role: t.role, content: t.content })),
    };
    const routers = this.c.mesh
      .peers()
      .filter((p) => p.connected)
      .filter((p) => (this.summaryOf(p.nodeId)?.kind ?? 'node') !== 'phone')
      .sort((a, b) => (a.rttMs ?? Infinity) - (b.rttMs ?? Infinity));
    if (routers.length === 0)
      throw new NoCapabilityError('no node of the mesh is connected to route the chat');
    let lastError: AtmosphereError | null = null;
    for (const router of routers) {
      let answered = false;
      try {
        for await (const frame of this.c.mesh.invoke(
          router.nodeId,
          { capability: MESH_ROUTE_CAPABILITY, input: { op: 'chat', request } },
          options.signal ? { signal: options.signal } : {},
        )) {
          const data = frame.data as {
            type?: unknown;
            receipt?: { nodeId?: unknown; nodeName?: unknown; capabilityId?: unknown; model?: unknown };
            chunk?: { content?: unknown };
          };
          if (data.type === 'receipt' && data.receipt) {
            answered = true;
            yield {
              type: 'receipt',
              nodeId: text(data.receipt.nodeId),
              nodeName: text(data.receipt.nodeName),
              capability: text(data.receipt.capabilityId),
              model: text(data.receipt.model),
              via: router.name || router.nodeId,
            };
          } else if (data.type === 'chunk' && typeof data.chunk?.content === 'string') {
            if (data.chunk.content.length > 0) yield { type: 'delta', content: data.chunk.content };
          }
        }
        yield { type: 'done' };
        return;
      } catch (err) {
        lastError = toAtmosphereError(err);
        // once an answer has started, a failure is the answer's; before, the next node may route it
        if (answered || options.signal?.aborted === true) throw lastError;
      }
    }
    throw lastError ?? new NoCapabilityError('no node could route the chat');
  }

  private summaryOf(nodeId: string): { kind?: unknown } | null {
    const found = this.c.mesh.announcements().find((a) => a.nodeId === nodeId);
    const summary = found?.summary;
    return summary !== null && typeof summary === 'object' ? summary : null;
  }
}
