import { randomBytes } from 'node:crypto';
import type {
  AuditLog,
  Capability,
  ChatChunk,
  ChatRequest,
  ChatResult,
  Clock,
  EmbedRequest,
  EmbedResult,
  GatewayCallOptions,
  InferenceGateway,
  InvokeContext,
  InvokeFrame,
  InvokeRequest,
  Logger,
  MeshModel,
  MeshRouteFrame,
  NewAuditEntry,
  RouteAttempt,
  RouteExplanation,
  ResolvedConfig,
  RouteReceipt,
} from '../core/index.js';
import {
  gpuAllowedFor,
  gpuPurposeOf,
  AbortedError,
  AtmosphereError,
  ChatResultBuilder,
  InvalidInputError,
  MESH_ROUTE_CAPABILITY,
  ModelNotFoundError,
  CloudBudgetExceededError,
  NoCapabilityError,
  NotExposedError,
  NotFoundError,
  UnknownToolError,
  OnBatteryError,
  VramLimitError,
  exposedToMeshes,
  modelVramBytes,
  toAtmosphereError,
  vramDecision,
} from '../core/index.js';
import type { RouteDecision, SemanticRouter } from '../router/index.js';
import type { LocalModel } from './backend-capabilities.js';
import type { InvokeInput } from './invoke-wire.js';
import { parseChatChunk, parseEmbedResult, parseInvokeInput } from './invoke-wire.js';
import type { Release } from './work-limiter.js';

/** What the gateway needs from the mesh engine (the node passes its `MeshService`). */
export interface GatewayMesh {
  invoke(
    nodeId: string,
    request: InvokeRequest,
    options?: { signal?: AbortSignal },
  ): AsyncIterable<InvokeFrame>;
  isConnected(nodeId: string): boolean;
}

/** Slots for mesh work (the node passes its `WorkLimiter`). */
export interface WorkSlots {
  acquire(options?: { signal?: AbortSignal }): Promise<Release>;
}

/** Whether the device runs on battery (the node passes its `PowerMonitor`); null when unknown. */
export interface BatteryState {
  onBattery(): boolean | null;
}

/** Runs this node's device tools (the node passes its Matter bridge, adapted). */
export interface DeviceTools {
  invoke(
    capabilityId: string,
    tool: string,
    args: Record<string, unknown>,
    options: { signal?: AbortSignal },
  ): Promise<unknown>;
}

/** A device tool run somewhere in the mesh, and what it answered. */
export interface ToolInvocation {
  readonly nodeId: string;
  readonly nodeName: string;
  readonly capabilityId: string;
  readonly tool: string;
  readonly result: unknown;
  readonly durationMs: number;
}

/** The cost model as the gateway uses it (the node passes its `CostService`). */
export interface GatewayCost {
  /** The cost routing uses for a capability now. */
  routeCost(capability: Capability): { readonly total: number; readonly critical: boolean };
  /** Why a capability may not be used now (a spent cloud budget), or null. */
  exclusion(capability: Capability): string | null;
  /** How much cheaper (relative) another node must be to win over this node's own model. */
  localMargin(): number;
  /** Records what a cloud model's call spent (embeddings: prompt tokens only). */
  recordUsage(
    capability: Capability,
    requester: string,
    usage: { readonly promptTokens: number; readonly completionTokens: number },
  ): unknown;
  /** Wraps a local model's chat stream so what a cloud model spends is recorded. */
  meterChat(
    capability: Capability,
    requester: string,
    stream: AsyncIterable<ChatChunk>,
  ): AsyncIterable<ChatChunk>;
}

export interface MeshGatewayComponents {
  readonly router: SemanticRouter;
  readonly mesh: GatewayMesh;
  readonly audit: AuditLog;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Bounds the mesh work served at once; without it there is no bound. */
  readonly limiter?: WorkSlots;
  /** For `limits.off_battery_only`; without it the device counts as plugged in. */
  readonly power?: BatteryState;
  /** Orders explicit-model targets by cost, enforces the cloud budget, records spend. Default none. */
  readonly cost?: GatewayCost;
  /** Runs this node's device tools (Matter); without it peers' tool requests are refused. */
  readonly devices?: DeviceTools;
}

/** The parts of the owner's configuration the gateway enforces. */
export type GatewayPolicy = Pick<ResolvedConfig, 'expose' | 'access' | 'limits'>;

export interface MeshGatewayInit {
  readonly nodeId: string;
  readonly nodeName: () => string;
  /** Candidates tried when one fails before its first byte. Default 3. */
  readonly maxAttempts?: number;
  /** Route explanations kept. Default 500. */
  readonly historySize?: number;
  /**
   * The owner's rules as they are now (the node passes its live config): exposure and allowed
   * meshes, `limits.off_battery_only`, `limits.max_vram_percent`, `expose.hardware.gpu`,
   * `access.log_all_requests`. Read on every request, never kept. Without it every local
   * capability is served to every member and nothing local is audited.
   */
  readonly policy?: () => GatewayPolicy;
  /** All GPU memory of this device, for the VRAM cap; null (or absent) when unknown. */
  readonly gpuMemoryBytes?: () => number | null;
}

interface Target {
  readonly nodeId: string;
  readonly nodeName: string;
  readonly capabilityId: string;
  readonly model: string;
}

interface RemoteNode {
  readonly name: string;
  readonly capabilities: readonly Capability[];
}

const CHAT_TYPES = ['llm/chat', 'rag'];

function metaString(cap: Capability, key: string): string | null {
  const v = cap.metadata[key];
  return typeof v === 'string' ? v : null;
}

/** The text routed on for `model: "auto"`: the last user turn (what the person is asking now). */
export function intentOf(messages: ChatRequest['messages']): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role === 'user' && m.content) return m.content.slice(0, 2000);
  }
  return messages
    .map((m) => m.content ?? '')
    .join('\n')
    .slice(0, 2000);
}

/**
 * Routes inference across the mesh and runs it: picks nodes by route decision (or by the model a
 * request names), runs the work on a local backend or over the invoke protocol, falls over to the
 * next candidate when one fails before its first byte, and keeps a receipt and explanation of
 * every route. It also serves other nodes' invoke requests for this node's models.
 */
export class MeshGateway implements InferenceGateway {
  private readonly c: MeshGatewayComponents;
  private readonly init: MeshGatewayInit;
  private readonly log: Logger;
  private local = new Map<string, LocalModel>();
  private localCapabilities: Capability[] = [];
  private readonly remote = new Map<string, RemoteNode>();
  private readonly history = new Map<string, RouteExplanation>();

  constructor(components: MeshGatewayComponents, init: MeshGatewayInit) {
    this.c = components;
    this.init = init;
    this.log = components.logger;
  }

  // ---- the capability registry ------------------------------------------------------------------

  /** Replaces this node's own models (after a scan of its backends). */
  async setLocal(models: readonly LocalModel[], capabilities: readonly Capability[]): Promise<void> {
    this.local = new Map(models.map((m) => [m.capabilityId, m]));
    this.localCapabilities = [...capabilities];
    this.c.router.removeNode(this.init.nodeId);
    await this.c.router.add(capabilities);
  }

  /** Replaces what a peer offers (from its capability document). */
  async setRemote(nodeId: string, name: string, capabilities: readonly Capability[]): Promise<void> {
    this.remote.set(nodeId, { name, capabilities });
    this.c.router.removeNode(nodeId);
    await this.c.router.add(capabilities);
  }

  removeRemote(nodeId: string): void {
    this.remote.delete(nodeId);
    this.c.router.removeNode(nodeId);
  }

  /** Every capability this node knows, its own first. */
  capabilities(): Capability[] {
    return [...this.localCapabilities, ...[...this.remote.values()].flatMap((r) => r.capabilities)];
  }

  private nodeName(nodeId: string): string {
    return nodeId === this.init.nodeId ? this.init.nodeName() : (this.remote.get(nodeId)?.name ?? '');
  }

  private reachable(nodeId: string): boolean {
    return nodeId === this.init.nodeId || this.c.mesh.isConnected(nodeId);
  }

  models(): MeshModel[] {
    const models: MeshModel[] = [];
    for (const cap of this.capabilities()) {
      const id = metaString(cap, 'model');
      const kind = metaString(cap, 'kind');
      if (id === null || (kind !== 'chat' && kind !== 'embed' && kind !== 'rag')) continue;
      if (!this.reachable(cap.nodeId)) continue;
      models.push({
        id,
        kind,
        nodeId: cap.nodeId,
        nodeName: this.nodeName(cap.nodeId),
        capabilityId: cap.id,
        local: cap.nodeId === this.init.nodeId,
      });
    }
    return models;
  }

  /** A dry-run route decision for an intent, over every capability the node knows. */
  route(
    intent: string,
    options: { top?: number; requester?: string; signal?: AbortSignal } = {},
  ): Promise<RouteDecision> {
    return this.c.router.route(
      { intent, requester: options.requester ?? 'local' },
      {
        ...(options.top === undefined ? {} : { top: options.top }),
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
  }

  explain(routeId: string): RouteExplanation | undefined {
    return this.history.get(routeId);
  }

  // ---- choosing targets ---------------------------------------------------------------------------

  private explicitTargets(model: string, kinds: readonly string[]): Target[] {
    const matches = this.models().filter(
      (m) => kinds.includes(m.kind) && (m.id === model || m.capabilityId === model),
    );
    if (matches.length === 0) {
      throw new ModelNotFoundError(
        `no reachable node in the mesh serves model "${model}"; GET /v1/models lists the models there are`,
        { details: { model } },
      );
    }
    matches.sort((a, b) => Number(b.local) - Number(a.local));
    return this.byCost(matches).map((m) => ({
      nodeId: m.nodeId,
      nodeName: m.nodeName,
      capabilityId: m.capabilityId,
      model: m.id,
    }));
  }

  /**
   * With a cost model: drops capabilities it excludes (a spent cloud budget; throws when that
   * leaves none), then orders cheapest first, a node on critical battery last. This node's own
   * models win unless another node is cheaper by more than `localMargin()` (no network hop, and
   * two similar nodes do not trade work on noise); ties keep the input order.
   */
  private byCost<T extends { readonly nodeId: string; readonly capabilityId: string }>(
    items: readonly T[],
  ): T[] {
    const cost = this.c.cost;
    if (cost === undefined) return [...items];
    const all = this.capabilities();
    const rated = items.map((item) => {
      const cap = all.find((c) => c.nodeId === item.nodeId && c.id === item.capabilityId);
      return {
        item,
        excluded: cap ? cost.exclusion(cap) : null,
        rc: cap ? cost.routeCost(cap) : { total: Number.POSITIVE_INFINITY, critical: false },
      };
    });
    const allowed = rated.filter((r) => r.excluded === null);
    if (allowed.length === 0 && rated.length > 0) {
      throw new CloudBudgetExceededError(rated[0]?.excluded ?? 'the monthly cloud budget is spent', {
        details: { rule: 'cost.monthly_budget_usd' },
      });
    }
    const headStart = 1 + cost.localMargin();
    const effective = (r: (typeof allowed)[number]): number =>
      r.item.nodeId === this.init.nodeId ? r.rc.total / headStart : r.rc.total;
    return allowed
      .map((r, index) => ({ ...r, index, effective: effective(r) }))
      .sort(
        (a, b) =>
          Number(a.rc.critical) - Number(b.rc.critical) || a.effective - b.effective || a.index - b.index,
      )
      .map((r) => r.item);
  }

  private toTarget(nodeId: string, capabilityId: string): Target | null {
    const cap = this.capabilities().find((c) => c.nodeId === nodeId && c.id === capabilityId);
    const model = cap ? metaString(cap, 'model') : null;
    if (!cap || model === null || !this.reachable(nodeId)) return null;
    return { nodeId, nodeName: this.nodeName(nodeId), capabilityId, model };
  }

  /** `model: "auto"`: the router's eligible candidates, then (if none cleared its threshold) any chat model. */
  private async autoTargets(
    intent: string,
    options: GatewayCallOptions,
  ): Promise<{ targets: Target[]; decision: RouteDecision }> {
    const decision = await this.c.router.route(
      { intent, types: CHAT_TYPES, requester: options.requester },
      options.signal ? { signal: options.signal } : {},
    );
    const targets: Target[] = [];
    const seen = new Set<string>();
    const push = (t: Target | null): void => {
      if (t && !seen.has(`${t.nodeId}/${t.capabilityId}`)) {
        seen.add(`${t.nodeId}/${t.capabilityId}`);
        targets.push(t);
      }
    };
    for (const cand of decision.candidates)
      if (cand.eligible) push(this.toTarget(cand.nodeId, cand.capabilityId));
    // A chat request always deserves an answer: below every threshold, any general chat model will do.
    const chatModels = this.models()
      .filter((m) => m.kind === 'chat')
      .sort((a, b) => Number(b.local) - Number(a.local));
    for (const m of chatModels) push(this.toTarget(m.nodeId, m.capabilityId));
    if (targets.length === 0) {
      throw new NoCapabilityError(
        'no chat model is reachable in the mesh; GET /v1/models lists what there is',
      );
    }
    return { targets, decision };
  }

  private remember(receipt: RouteReceipt, intent: string | null, decision: unknown): void {
    this.history.set(receipt.routeId, { receipt, atMs: this.c.clock.now(), intent, decision });
    const max = this.init.historySize ?? 500;
    while (this.history.size > max) {
      const oldest = this.history.keys().next().value;
      if (oldest === undefined) break;
      this.history.delete(oldest);
    }
  }

  // ---- executing ---------------------------------------------------------------------------------

  private runChat(
    target: Target,
    request: ChatRequest,
    signal?: AbortSignal,
    requester = 'local',
    member?: InvokeContext,
  ): AsyncIterable<ChatChunk> {
    const req: ChatRequest = { ...request, model: target.model };
    if (target.nodeId === this.init.nodeId && member !== undefined) {
      // routed for a member: this node's own model is mesh work like any peer's request (exposure,
      // limits, audit), exactly as if the member had asked for it directly
      const served = this.serving(
        { capability: target.capabilityId, input: { op: 'chat', request: req } },
        member,
        this.c.clock.now(),
      );
      return (async function* () {
        for await (const chunk of served) yield chunk as ChatChunk;
      })();
    }
    if (target.nodeId === this.init.nodeId) {
      const local = this.local.get(target.capabilityId);
      if (!local) throw new NotFoundError(`local capability ${target.capabilityId} is gone`);
      return this.auditLocalStream(
        target.capabilityId,
        req,
        this.metered(target.capabilityId, requester, local.backend.chatStream(req, signal ? { signal } : {})),
      );
    }
    const frames = this.c.mesh.invoke(
      target.nodeId,
      { capability: target.capabilityId, input: { op: 'chat', request: req } },
      signal ? { signal } : {},
    );
    const nodeId = target.nodeId;
    return (async function* () {
      for await (const frame of frames) yield parseChatChunk(frame.data, nodeId);
    })();
  }

  /**
   * Routes and runs a chat. `member` is set when a member asked this node to route for it
   * (`servingRoute`): then this node's own models are admitted like any mesh request.
   */
  async chatStream(
    request: ChatRequest,
    options: GatewayCallOptions,
    member?: InvokeContext,
  ): Promise<{ receipt: RouteReceipt; stream: AsyncIterable<ChatChunk> }> {
    const auto = request.model === 'auto' || request.model === '';
    const intent = auto ? intentOf(request.messages) : null;
    const { targets, decision } = auto
      ? await this.autoTargets(intent ?? '', options)
      : { targets: this.explicitTargets(request.model, ['chat', 'rag']), decision: null };
    const attempts: RouteAttempt[] = [];
    const routeId = `rt_${randomBytes(9).toString('base64url')}`;
    const maxAttempts = this.init.maxAttempts ?? 3;
    let lastError: AtmosphereError | null = null;
    for (const target of targets.slice(0, maxAttempts)) {
      options.signal?.throwIfAborted();
      const iterator = this.runChat(target, request, options.signal, options.requester, member)[
        Symbol.asyncIterator
      ]();
      let first: IteratorResult<ChatChunk>;
      try {
        first = await iterator.next();
      } catch (err) {
        lastError = toAtmosphereError(err);
        if (options.signal?.aborted) throw lastError;
        attempts.push({ ...target, error: { code: lastError.code, message: lastError.message } });
        this.log.warn(
          { nodeId: target.nodeId, capability: target.capabilityId, code: lastError.code },
          'candidate failed before answering; trying the next',
        );
        continue;
      }
      attempts.push({ nodeId: target.nodeId, capabilityId: target.capabilityId, error: null });
      const receipt: RouteReceipt = {
        routeId,
        nodeId: target.nodeId,
        nodeName: target.nodeName,
        capabilityId: target.capabilityId,
        model: target.model,
        mode: auto ? 'auto' : 'explicit',
        attempts,
      };
      this.remember(receipt, intent, decision);
      const stream = (async function* () {
        try {
          if (!first.done) yield first.value;
          for (;;) {
            const next = await iterator.next();
            if (next.done) return;
            yield next.value;
          }
        } finally {
          await iterator.return?.();
        }
      })();
      return { receipt, stream };
    }
    const tried = attempts
      .map((a) => `${a.nodeId.slice(-6)}/${a.capabilityId}: ${a.error?.message ?? ''}`)
      .join('; ');
    throw lastError instanceof AtmosphereError && attempts.length === 1
      ? lastError
      : new NoCapabilityError(`every candidate failed (${tried})`, { details: { attempts } });
  }

  async chat(
    request: ChatRequest,
    options: GatewayCallOptions,
  ): Promise<{ receipt: RouteReceipt; result: ChatResult }> {
    const { receipt, stream } = await this.chatStream(request, options);
    const builder = new ChatResultBuilder();
    for await (const chunk of stream) builder.add(chunk);
    return { receipt, result: builder.result(receipt.model) };
  }

  async embed(
    request: EmbedRequest,
    options: GatewayCallOptions,
  ): Promise<{ receipt: RouteReceipt; result: EmbedResult }> {
    const auto = request.model === 'auto' || request.model === '';
    const targets = auto
      ? this.byCost(
          this.models()
            .filter((m) => m.kind === 'embed')
            .sort((a, b) => Number(b.local) - Number(a.local)),
        ).map((m) => ({ nodeId: m.nodeId, nodeName: m.nodeName, capabilityId: m.capabilityId, model: m.id }))
      : this.explicitTargets(request.model, ['embed']);
    if (targets.length === 0) throw new NoCapabilityError('no embedding model is reachable in the mesh');
    const attempts: RouteAttempt[] = [];
    let lastError: AtmosphereError | null = null;
    for (const target of targets.slice(0, this.init.maxAttempts ?? 3)) {
      try {
        const result = await this.runEmbed(
          target,
          { ...request, model: target.model },
          options.signal,
          options.requester,
        );
        attempts.push({ nodeId: target.nodeId, capabilityId: target.capabilityId, error: null });
        const receipt: RouteReceipt = {
          routeId: `rt_${randomBytes(9).toString('base64url')}`,
          nodeId: target.nodeId,
          nodeName: target.nodeName,
          capabilityId: target.capabilityId,
          model: target.model,
          mode: auto ? 'auto' : 'explicit',
          attempts,
        };
        this.remember(receipt, null, null);
        return { receipt, result };
      } catch (err) {
        lastError = toAtmosphereError(err);
        if (options.signal?.aborted) throw lastError;
        attempts.push({
          nodeId: target.nodeId,
          capabilityId: target.capabilityId,
          error: { code: lastError.code, message: lastError.message },
        });
      }
    }
    throw lastError ?? new NoCapabilityError('no embedding model answered');
  }

  private async runEmbed(
    target: Target,
    request: EmbedRequest,
    signal?: AbortSignal,
    requester = 'local',
  ): Promise<EmbedResult> {
    if (target.nodeId === this.init.nodeId) {
      const local = this.local.get(target.capabilityId);
      if (!local?.backend.embed) throw new InvalidInputError(`${target.capabilityId} cannot embed`);
      const startedMs = this.c.clock.now();
      try {
        const result = await local.backend.embed(request, signal ? { signal } : {});
        this.meterEmbed(target.capabilityId, requester, result);
        this.auditLocal(target.capabilityId, 'embed', startedMs, request, jsonBytes(result), null);
        return result;
      } catch (err) {
        this.auditLocal(
          target.capabilityId,
          'embed',
          startedMs,
          request,
          null,
          toAtmosphereError(err).message,
        );
        throw err;
      }
    }
    for await (const frame of this.c.mesh.invoke(
      target.nodeId,
      { capability: target.capabilityId, input: { op: 'embed', request } },
      signal ? { signal } : {},
    )) {
      return parseEmbedResult(frame.data, target.nodeId);
    }
    throw new NoCapabilityError(`${target.nodeId} returned no embedding`);
  }

  /** A local model's chat stream, with what a cloud model spends recorded (cost model). */
  private metered(
    capabilityId: string,
    requester: string,
    stream: AsyncIterable<ChatChunk>,
  ): AsyncIterable<ChatChunk> {
    const cap = this.localCapabilities.find((c) => c.id === capabilityId);
    return this.c.cost && cap ? this.c.cost.meterChat(cap, requester, stream) : stream;
  }

  /** Records what a local cloud embedding model spent, when it reported its tokens (cost model). */
  private meterEmbed(capabilityId: string, requester: string, result: EmbedResult): void {
    const cap = this.localCapabilities.find((c) => c.id === capabilityId);
    if (!this.c.cost || !cap || result.promptTokens === null) return;
    try {
      this.c.cost.recordUsage(cap, requester, { promptTokens: result.promptTokens, completionTokens: 0 });
    } catch (err) {
      this.log.warn({ err: toAtmosphereError(err).message }, 'could not record cloud spend');
    }
  }

  // ---- auditing local work ------------------------------------------------------------------------

  /** Writes one audit entry; a failing audit log is reported, never fails the request. */
  private writeAudit(entry: Omit<NewAuditEntry, 'durationMs' | 'timeMs'> & { startedMs: number }): void {
    const { startedMs, ...rest } = entry;
    try {
      this.c.audit.append({ ...rest, timeMs: startedMs, durationMs: this.c.clock.now() - startedMs });
    } catch (err) {
      this.log.warn({ err: toAtmosphereError(err).message }, 'could not write the audit log');
    }
  }

  private logsLocal(): boolean {
    return this.init.policy?.().access.log_all_requests === true;
  }

  /** With `access.log_all_requests`, this node's own use of its own model is audited too. */
  private auditLocal(
    capabilityId: string,
    op: string,
    startedMs: number,
    request: unknown,
    bytesOut: number | null,
    failure: string | null,
  ): void {
    if (!this.logsLocal()) return;
    this.writeAudit({
      startedMs,
      requester: this.init.nodeId,
      target: capabilityId,
      tool: op,
      decision: 'allowed',
      rule: null,
      bytesIn: jsonBytes(request),
      bytesOut,
      detail: failure === null ? 'local' : `local; ${failure}`,
    });
  }

  private auditLocalStream(
    capabilityId: string,
    request: ChatRequest,
    stream: AsyncIterable<ChatChunk>,
  ): AsyncIterable<ChatChunk> {
    return this.logsLocal() ? this.auditedStream(capabilityId, request, stream) : stream;
  }

  private async *auditedStream(
    capabilityId: string,
    request: ChatRequest,
    stream: AsyncIterable<ChatChunk>,
  ): AsyncGenerator<ChatChunk> {
    const startedMs = this.c.clock.now();
    let bytesOut = 0;
    let failure: string | null = 'cancelled by the caller';
    try {
      for await (const chunk of stream) {
        bytesOut += jsonBytes(chunk);
        yield chunk;
      }
      failure = null;
    } catch (err) {
      failure = `failed: ${toAtmosphereError(err).message}`;
      throw err;
    } finally {
      this.auditLocal(capabilityId, 'chat', startedMs, request, bytesOut, failure);
    }
  }

  // ---- serving peers ------------------------------------------------------------------------------

  /**
   * Everything that must hold before a peer's request may reach the backend, in this order: the
   * capability is exposed to the peer's mesh, the device is not on battery when the owner serves
   * only when plugged in, the model fits the owner's share of the GPU. Throws the refusal, with
   * the config key that decided as `details.rule`.
   */
  private admit(capability: Capability, local: LocalModel | null, context: InvokeContext): void {
    const policy = this.init.policy?.();
    if (policy === undefined) return;
    const exposure = exposedToMeshes(policy, capability, context.meshIds);
    if (!exposure.exposed) {
      throw new NotExposedError(
        exposure.rule === 'access.mesh_ids'
          ? `${capability.id} is not exposed to your mesh: the owner serves only meshes matching access.mesh_ids`
          : `${capability.id} is not exposed to the mesh by its owner (${exposure.rule})`,
        { details: { capability: capability.id, rule: exposure.rule } },
      );
    }
    if (policy.limits.off_battery_only) {
      const onBattery = this.c.power?.onBattery() ?? null;
      if (onBattery === true) {
        throw new OnBatteryError(
          'this node runs on battery and its owner serves the mesh only when plugged in (limits.off_battery_only)',
          { details: { rule: 'limits.off_battery_only' } },
        );
      }
      if (onBattery === null) {
        this.log.debug('power source unknown: limits.off_battery_only not applied to this request');
      }
    }
    const overBudget = this.c.cost?.exclusion(capability) ?? null;
    if (overBudget !== null) {
      throw new CloudBudgetExceededError(`${capability.id}: ${overBudget}`, {
        details: { rule: 'cost.monthly_budget_usd' },
      });
    }
    if (local !== null && local.backend.kind !== 'openai-compatible') {
      const modelBytes = modelVramBytes(local.model);
      const gpuMemoryBytes = this.init.gpuMemoryBytes?.() ?? null;
      const decision = vramDecision({
        modelBytes,
        gpuMemoryBytes,
        maxVramPercent: policy.limits.max_vram_percent,
        gpuAllowed: gpuAllowedFor(policy.expose.hardware, capability),
        gpuPurpose: gpuPurposeOf(capability),
      });
      if (!decision.allowed) {
        throw new VramLimitError(`${capability.id}: ${decision.reason}`, {
          details: {
            rule: decision.rule,
            modelBytes,
            gpuMemoryBytes,
            limitBytes: decision.limitBytes,
            maxVramPercent: policy.limits.max_vram_percent,
          },
        });
      }
      if (decision.rule === null) this.log.debug({ capability: capability.id }, decision.reason);
    }
  }

  /**
   * The invoke handler: runs a peer's request on this node's own model when the owner's rules let
   * it (see `admit`) and a slot is free (the limiter queues it, or refuses it as busy). Nothing
   * refused reaches the backend. Every request, allowed or refused, is written to the audit log
   * with the rule that decided, its duration and bytes in and out; the slot is given back when the
   * stream ends, fails or the peer goes away.
   */
  serve(request: InvokeRequest, context: InvokeContext): AsyncIterable<unknown> {
    const op = (request.input as { op?: unknown } | null)?.op;
    if (request.capability === MESH_ROUTE_CAPABILITY)
      return this.servingRoute(request, context, this.c.clock.now());
    if (op === 'tool') return this.servingTool(request, context, this.c.clock.now());
    return this.serving(request, context, this.c.clock.now());
  }

  /**
   * A member's chat to route and run for it (`MESH_ROUTE_CAPABILITY`): a phone has no router, so it
   * asks a node. Routed exactly like this node's own `/v1/chat/completions` (the requester is the
   * member); the node that runs it applies its own exposure rules and limits to the hop. Audited
   * here with the capability it went to.
   */
  private async *servingRoute(
    request: InvokeRequest,
    context: InvokeContext,
    startedMs: number,
  ): AsyncGenerator<MeshRouteFrame> {
    const audit = this.auditOf(request, context, startedMs);
    let routed: { receipt: RouteReceipt; stream: AsyncIterable<ChatChunk> };
    try {
      const input = parseInvokeInput(request.input);
      if (input.op !== 'chat')
        throw new InvalidInputError(`${MESH_ROUTE_CAPABILITY} routes chat requests only`);
      routed = await this.chatStream(
        input.request,
        { requester: context.nodeId, signal: context.signal },
        context,
      );
    } catch (err) {
      const e = toAtmosphereError(err);
      audit('refused', e.code, 'route', e.message, null);
      throw e;
    }
    let bytesOut = 0;
    let outcome: string | null = 'cancelled by the caller';
    const where = `routed to ${routed.receipt.capabilityId} on ${routed.receipt.nodeName || routed.receipt.nodeId}`;
    try {
      yield { type: 'receipt', receipt: routed.receipt };
      for await (const chunk of routed.stream) {
        bytesOut += jsonBytes(chunk);
        yield { type: 'chunk', chunk };
      }
      outcome = where;
    } catch (err) {
      outcome = `${where}, failed: ${toAtmosphereError(err).message}`;
      throw err;
    } finally {
      audit('allowed', null, 'route', outcome, bytesOut);
    }
  }

  /** Records a decision on a peer's request (what it did, and the bytes in and out). */
  private auditOf(
    request: InvokeRequest,
    context: InvokeContext,
    startedMs: number,
  ): (
    decision: 'allowed' | 'refused',
    rule: string | null,
    tool: string | null,
    detail: string | null,
    bytesOut: number | null,
  ) => void {
    const bytesIn = jsonBytes(request.input);
    return (decision, rule, tool, detail, bytesOut) => {
      this.writeAudit({
        startedMs,
        requester: context.nodeId,
        target: request.capability,
        tool,
        decision,
        rule,
        bytesIn,
        bytesOut,
        detail,
      });
    };
  }

  /** A peer's device tool request: admitted like model work (exposure, battery), audited with its tool. */
  private async *servingTool(
    request: InvokeRequest,
    context: InvokeContext,
    startedMs: number,
  ): AsyncGenerator<unknown> {
    const audit = this.auditOf(request, context, startedMs);
    let tool: string | null = null;
    let args: Record<string, unknown> = {};
    const devices = this.c.devices;
    try {
      const input = parseInvokeInput(request.input);
      if (input.op !== 'tool') throw new InvalidInputError('expected a tool request');
      tool = input.tool;
      args = input.arguments;
      const capability = this.localCapabilities.find((c) => c.id === request.capability);
      if (!capability || !devices)
        throw new NotFoundError(`this node has no capability ${request.capability}`);
      if (!capability.tools.some((t) => t.name === tool)) {
        throw new UnknownToolError(`${capability.id} has no tool "${tool}"`, {
          details: { capability: capability.id, tool },
        });
      }
      this.admit(capability, null, context);
    } catch (err) {
      const e = toAtmosphereError(err);
      const rule = typeof e.details.rule === 'string' ? e.details.rule : e.code;
      audit('refused', rule, tool, e.message, null);
      throw e;
    }
    let release: Release | null = null;
    if (this.c.limiter) {
      try {
        release = await this.c.limiter.acquire({ signal: context.signal });
      } catch (err) {
        const e = toAtmosphereError(err);
        audit(
          e instanceof AbortedError ? 'allowed' : 'refused',
          'limits.max_concurrent',
          tool,
          e.message,
          null,
        );
        throw e;
      }
    }
    let outcome: string | null = 'cancelled by the caller';
    let bytesOut: number | null = null;
    try {
      const result = await devices.invoke(request.capability, tool, args, { signal: context.signal });
      bytesOut = jsonBytes(result);
      outcome = null;
      yield result;
    } catch (err) {
      outcome = `failed: ${toAtmosphereError(err).message}`;
      throw err;
    } finally {
      release?.();
      audit('allowed', null, tool, outcome, bytesOut);
    }
  }

  // ---- device tools ------------------------------------------------------------------------------

  /**
   * Runs one tool of a capability (a device's `off`, `lock` …): here when this node has it,
   * otherwise on its node over the invoke protocol, where the owner's rules decide. Without
   * `nodeId` a reachable node that has the capability is chosen, this node first.
   */
  async invokeTool(
    target: {
      readonly capabilityId: string;
      readonly tool: string;
      readonly arguments?: Record<string, unknown>;
      readonly nodeId?: string;
    },
    options: GatewayCallOptions,
  ): Promise<ToolInvocation> {
    const candidates = this.capabilities()
      .filter(
        (c) => c.id === target.capabilityId && (target.nodeId === undefined || c.nodeId === target.nodeId),
      )
      .sort((a, b) => Number(b.nodeId === this.init.nodeId) - Number(a.nodeId === this.init.nodeId));
    const capability = candidates.find((c) => this.reachable(c.nodeId));
    if (!capability) {
      throw new NoCapabilityError(
        candidates.length === 0
          ? `no node in the mesh offers ${target.capabilityId}`
          : `the node that offers ${target.capabilityId} is not connected`,
        { details: { capability: target.capabilityId } },
      );
    }
    if (!capability.tools.some((t) => t.name === target.tool)) {
      throw new UnknownToolError(
        `${capability.id} has no tool "${target.tool}" (it has ${capability.tools.map((t) => t.name).join(', ') || 'none'})`,
        { details: { capability: capability.id, tool: target.tool } },
      );
    }
    const args = target.arguments ?? {};
    const startedMs = this.c.clock.now();
    const done = (result: unknown): ToolInvocation => ({
      nodeId: capability.nodeId,
      nodeName: this.nodeName(capability.nodeId),
      capabilityId: capability.id,
      tool: target.tool,
      result,
      durationMs: this.c.clock.now() - startedMs,
    });
    if (capability.nodeId === this.init.nodeId) {
      const devices = this.c.devices;
      if (!devices) throw new NotFoundError(`${capability.id} has no tools this node can run`);
      try {
        const result = await devices.invoke(
          capability.id,
          target.tool,
          args,
          options.signal ? { signal: options.signal } : {},
        );
        this.auditLocal(capability.id, target.tool, startedMs, args, jsonBytes(result), null);
        return done(result);
      } catch (err) {
        this.auditLocal(capability.id, target.tool, startedMs, args, null, toAtmosphereError(err).message);
        throw err;
      }
    }
    for await (const frame of this.c.mesh.invoke(
      capability.nodeId,
      { capability: capability.id, input: { op: 'tool', tool: target.tool, arguments: args } },
      options.signal ? { signal: options.signal } : {},
    )) {
      return done(frame.data);
    }
    throw new NoCapabilityError(
      `${capability.nodeId} returned no result for ${capability.id} ${target.tool}`,
    );
  }

  /**
   * Routes an intent ("turn off the kitchen light") to a capability and one of its tools, and
   * runs that tool. Throws `NoCapabilityError` when nothing matches or the match has no tool.
   */
  async act(
    intent: string,
    args: Record<string, unknown>,
    options: GatewayCallOptions,
  ): Promise<{ invocation: ToolInvocation; decision: RouteDecision }> {
    const decision = await this.c.router.route(
      { intent, requester: options.requester },
      options.signal ? { signal: options.signal } : {},
    );
    const choice = decision.decision;
    if (!choice) throw new NoCapabilityError(`no capability in the mesh matches "${intent}"`);
    if (choice.tool === null || choice.toolKind !== 'tool') {
      throw new NoCapabilityError(`"${intent}" matches ${choice.capabilityId}, but none of its tools does`, {
        details: { capability: choice.capabilityId },
      });
    }
    const invocation = await this.invokeTool(
      { capabilityId: choice.capabilityId, nodeId: choice.nodeId, tool: choice.tool, arguments: args },
      options,
    );
    return { invocation, decision };
  }

  private async *serving(
    request: InvokeRequest,
    context: InvokeContext,
    startedMs: number,
  ): AsyncGenerator<unknown> {
    const audit = this.auditOf(request, context, startedMs);
    let input: InvokeInput | undefined;
    let local: LocalModel | undefined;
    try {
      input = parseInvokeInput(request.input);
      local = this.local.get(request.capability);
      const capability = this.localCapabilities.find((c) => c.id === request.capability);
      if (!local || !capability) throw new NotFoundError(`this node has no capability ${request.capability}`);
      this.admit(capability, local, context);
    } catch (err) {
      const e = toAtmosphereError(err);
      const rule = typeof e.details.rule === 'string' ? e.details.rule : e.code;
      audit('refused', rule, input?.op ?? null, e.message, null);
      throw e;
    }
    let release: Release | null = null;
    if (this.c.limiter) {
      try {
        release = await this.c.limiter.acquire({ signal: context.signal });
      } catch (err) {
        const e = toAtmosphereError(err);
        if (e instanceof AbortedError) {
          audit('allowed', null, input.op, 'cancelled by the caller while waiting for a slot', null);
        } else {
          audit('refused', 'limits.max_concurrent', input.op, e.message, null);
        }
        throw e;
      }
    }
    let bytesOut = 0;
    let outcome: string | null = 'cancelled by the caller';
    try {
      yield* this.runServed(
        local,
        input,
        context.signal,
        (bytes) => {
          bytesOut += bytes;
        },
        context.nodeId,
      );
      outcome = null;
    } catch (err) {
      outcome = `failed: ${toAtmosphereError(err).message}`;
      throw err;
    } finally {
      release?.();
      audit('allowed', null, input.op, outcome, bytesOut);
    }
  }

  private async *runServed(
    local: LocalModel,
    input: InvokeInput,
    signal: AbortSignal,
    sent: (bytes: number) => void,
    requester: string,
  ): AsyncGenerator<unknown> {
    if (input.op === 'embed') {
      if (!local.backend.embed) throw new InvalidInputError(`${local.capabilityId} cannot embed`);
      const result = await local.backend.embed({ ...input.request, model: local.model.id }, { signal });
      this.meterEmbed(local.capabilityId, requester, result);
      sent(jsonBytes(result));
      yield result;
      return;
    }
    if (input.op === 'tool')
      throw new InvalidInputError(`${local.capabilityId} is a model: it has no device tools`);
    for await (const chunk of this.metered(
      local.capabilityId,
      requester,
      local.backend.chatStream({ ...input.request, model: local.model.id }, { signal }),
    )) {
      sent(jsonBytes(chunk));
      yield chunk;
    }
  }
}

/** Size of a value as JSON text, in bytes (what crosses the wire in an invoke frame). */
function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
