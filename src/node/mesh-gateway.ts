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
  RouteAttempt,
  RouteExplanation,
  RouteReceipt,
} from '../core/index.js';
import {
  AtmosphereError,
  ChatResultBuilder,
  ForbiddenError,
  InvalidInputError,
  ModelNotFoundError,
  NoCapabilityError,
  NotFoundError,
  toAtmosphereError,
} from '../core/index.js';
import type { RouteDecision, SemanticRouter } from '../router/index.js';
import type { LocalModel } from './backend-capabilities.js';
import { parseChatChunk, parseEmbedResult, parseInvokeInput } from './invoke-wire.js';

/** What the gateway needs from the mesh engine (the node passes its `MeshService`). */
export interface GatewayMesh {
  invoke(
    nodeId: string,
    request: InvokeRequest,
    options?: { signal?: AbortSignal },
  ): AsyncIterable<InvokeFrame>;
  isConnected(nodeId: string): boolean;
}

export interface MeshGatewayComponents {
  readonly router: SemanticRouter;
  readonly mesh: GatewayMesh;
  readonly audit: AuditLog;
  readonly logger: Logger;
  readonly clock: Clock;
}

export interface MeshGatewayInit {
  readonly nodeId: string;
  readonly nodeName: () => string;
  /** Candidates tried when one fails before its first byte. Default 3. */
  readonly maxAttempts?: number;
  /** Route explanations kept. Default 500. */
  readonly historySize?: number;
  /** Whether a peer may use a local capability (owner exposure and allowed meshes). */
  readonly isExposed?: (capability: Capability, context: InvokeContext) => boolean;
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
    return matches.map((m) => ({
      nodeId: m.nodeId,
      nodeName: m.nodeName,
      capabilityId: m.capabilityId,
      model: m.id,
    }));
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

  private runChat(target: Target, request: ChatRequest, signal?: AbortSignal): AsyncIterable<ChatChunk> {
    const req: ChatRequest = { ...request, model: target.model };
    if (target.nodeId === this.init.nodeId) {
      const local = this.local.get(target.capabilityId);
      if (!local) throw new NotFoundError(`local capability ${target.capabilityId} is gone`);
      return local.backend.chatStream(req, signal ? { signal } : {});
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

  async chatStream(
    request: ChatRequest,
    options: GatewayCallOptions,
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
      const iterator = this.runChat(target, request, options.signal)[Symbol.asyncIterator]();
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
      ? this.models()
          .filter((m) => m.kind === 'embed')
          .sort((a, b) => Number(b.local) - Number(a.local))
          .map((m) => ({ nodeId: m.nodeId, nodeName: m.nodeName, capabilityId: m.capabilityId, model: m.id }))
      : this.explicitTargets(request.model, ['embed']);
    if (targets.length === 0) throw new NoCapabilityError('no embedding model is reachable in the mesh');
    const attempts: RouteAttempt[] = [];
    let lastError: AtmosphereError | null = null;
    for (const target of targets.slice(0, this.init.maxAttempts ?? 3)) {
      try {
        const result = await this.runEmbed(target, { ...request, model: target.model }, options.signal);
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

  private async runEmbed(target: Target, request: EmbedRequest, signal?: AbortSignal): Promise<EmbedResult> {
    if (target.nodeId === this.init.nodeId) {
      const local = this.local.get(target.capabilityId);
      if (!local?.backend.embed) throw new InvalidInputError(`${target.capabilityId} cannot embed`);
      return local.backend.embed(request, signal ? { signal } : {});
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

  // ---- serving peers ------------------------------------------------------------------------------

  /**
   * The invoke handler: runs a peer's request on this node's own model, if the owner exposes it to
   * that peer's mesh. Every request, allowed or refused, is written to the audit log.
   */
  serve(request: InvokeRequest, context: InvokeContext): AsyncIterable<unknown> {
    const startedMs = this.c.clock.now();
    const audit = (
      decision: 'allowed' | 'refused',
      rule: string | null,
      op: string | null,
      detail: string | null,
      bytesOut: number | null,
    ): void => {
      try {
        this.c.audit.append({
          timeMs: startedMs,
          requester: context.nodeId,
          target: request.capability,
          tool: op,
          decision,
          rule,
          durationMs: this.c.clock.now() - startedMs,
          bytesIn: null,
          bytesOut,
          detail,
        });
      } catch (err) {
        this.log.warn({ err: toAtmosphereError(err).message }, 'could not write the audit log');
      }
    };
    const local = this.local.get(request.capability);
    const capability = this.localCapabilities.find((c) => c.id === request.capability);
    const isExposed = this.init.isExposed ?? (() => true);
    return (async function* () {
      let input;
      try {
        input = parseInvokeInput(request.input);
        if (!local || !capability)
          throw new NotFoundError(`this node has no capability ${request.capability}`);
        if (!isExposed(capability, context)) {
          throw new ForbiddenError(`${request.capability} is not exposed to the mesh by its owner`);
        }
      } catch (err) {
        const e = toAtmosphereError(err);
        audit('refused', e instanceof ForbiddenError ? 'expose' : e.code, input?.op ?? null, e.message, null);
        throw e;
      }
      let bytesOut = 0;
      try {
        if (input.op === 'embed') {
          if (!local.backend.embed) throw new InvalidInputError(`${request.capability} cannot embed`);
          const result = await local.backend.embed(
            { ...input.request, model: local.model.id },
            { signal: context.signal },
          );
          bytesOut += JSON.stringify(result).length;
          yield result;
        } else {
          for await (const chunk of local.backend.chatStream(
            { ...input.request, model: local.model.id },
            { signal: context.signal },
          )) {
            bytesOut += chunk.content.length;
            yield chunk;
          }
        }
        audit('allowed', null, input.op, null, bytesOut);
      } catch (err) {
        audit('allowed', null, input.op, `failed: ${toAtmosphereError(err).message}`, bytesOut);
        throw err;
      }
    })();
  }
}
