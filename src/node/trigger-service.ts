/**
 * Trigger events: a capability (or a local integration, through the API) fires a trigger; the
 * event is throttled per `capability/trigger`, delivered to this node's subscribers and published
 * to every mesh the owner exposes the capability to. Events from members arrive through the mesh
 * (once per event id) and go to the same subscribers: in-process listeners (the SSE stream behind
 * `atmosphere events -f`), the owner's webhooks (config `triggers.webhooks`) and webhooks added at
 * run time with `POST /api/subscriptions`. Recent events are kept in a bounded ring. Decisions and
 * wire format: docs/PROTOCOLS.md "Events".
 */
import { createHmac, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  Capability,
  EventFilter,
  TriggerEvent,
  Clock,
  Logger,
  MeshInfo,
  MeshPeerInfo,
  ResolvedConfig,
  Startable,
  TriggerPriority,
} from '../core/index.js';
import {
  InvalidInputError,
  MessageTooLargeError,
  NotFoundError,
  TriggerThrottledError,
  capabilityIdSchema,
  defaultWorkType,
  exposedToMeshes,
  matchesAnyGlob,
  toAtmosphereError,
  triggerSpecSchema,
} from '../core/index.js';
import type { MeshEvent, MeshEventInput } from '../mesh/index.js';
import { MAX_EVENT_PAYLOAD_BYTES } from '../mesh/index.js';
import { TriggerThrottle } from './trigger-throttle.js';

export interface FireInput {
  readonly capability: string;
  readonly trigger: string;
  readonly payload?: unknown;
  /** Default: the priority the local capability declares for this trigger, else `normal`. */
  readonly priority?: TriggerPriority;
}

export interface FiredEvent {
  readonly event: TriggerEvent;
  /** Meshes it was published to; empty when the owner does not expose the capability. */
  readonly meshIds: readonly string[];
}

/** A webhook subscriber, from config (`config-N`) or added through the API (`sub-…`). */
export interface WebhookSubscription {
  readonly id: string;
  readonly source: 'config' | 'api';
  readonly url: string;
  readonly match: readonly string[];
  readonly minPriority: TriggerPriority;
  readonly delivered: number;
  readonly failed: number;
  readonly lastError: string | null;
}

export interface AddWebhookInput {
  readonly url: string;
  readonly match?: readonly string[];
  readonly minPriority?: TriggerPriority;
}

/** What the service needs from the mesh engine (the node passes its `MeshService`). */
export interface TriggerMesh {
  meshes(): MeshInfo[];
  peers(): MeshPeerInfo[];
  publishEvent(
    event: MeshEventInput,
    options?: { meshIds?: readonly string[]; signal?: AbortSignal },
  ): Promise<{ meshIds: string[] }>;
  addEventListener(type: 'event', listener: (event: CustomEvent<MeshEvent>) => void): void;
  removeEventListener(type: 'event', listener: (event: CustomEvent<MeshEvent>) => void): void;
}

export interface TriggerServiceComponents {
  readonly mesh: TriggerMesh;
  readonly logger: Logger;
  readonly clock: Clock;
  /** For webhook deliveries; default the global fetch. */
  readonly fetch?: typeof fetch;
}

type TriggerConfig = Pick<ResolvedConfig, 'triggers' | 'expose' | 'access'>;

export interface TriggerServiceInit {
  /**
   * The configuration as it is now (live config): exposure decides each event's meshes when it is
   * fired; a changed `triggers` section replaces the throttle and the configured webhooks.
   */
  readonly config: () => TriggerConfig;
  readonly nodeId: string;
  readonly nodeName: string;
  /** This node's capabilities (for declared trigger priorities and exposure); default none. */
  readonly capabilities?: () => readonly Capability[];
  /** Where `secret_env` of a webhook is looked up. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Sent as the webhook User-Agent. Default `atmosphere`. */
  readonly userAgent?: string;
  /** Events a member may send per minute before the rest are dropped. Default 600 (burst 100). */
  readonly inboundPerMinute?: number;
  readonly inboundBurst?: number;
  /** Webhook deliveries under way at once; more are dropped. Default 64. */
  readonly maxConcurrentDeliveries?: number;
  /** First retry delay; doubles each retry. Default 500 ms. */
  readonly retryBaseDelayMs?: number;
}

export const PRIORITY_RANK: Readonly<Record<TriggerPriority, number>> = {
  low: 0,
  normal: 1,
  high: 2,
  critical: 3,
};

/** The key events are matched and throttled by: `capability/trigger`. */
export function eventKey(event: { capability: string; trigger: string }): string {
  return `${event.capability}/${event.trigger}`;
}

/** Whether `event` passes `filter` (globs on `capability/trigger`, least priority). */
export function matchesFilter(
  event: { capability: string; trigger: string; priority: TriggerPriority },
  filter: EventFilter,
): boolean {
  if (PRIORITY_RANK[event.priority] < PRIORITY_RANK[filter.minPriority ?? 'low']) return false;
  if (filter.match === undefined || filter.match.length === 0) return true;
  return matchesAnyGlob(eventKey(event), filter.match);
}

const MAX_API_WEBHOOKS = 64;
const MAX_LISTENER_BACKLOG = 1_000;

interface Webhook {
  readonly id: string;
  readonly source: 'config' | 'api';
  readonly url: string;
  readonly match: readonly string[];
  readonly minPriority: TriggerPriority;
  readonly secret: string | null;
  delivered: number;
  failed: number;
  lastError: string | null;
}

type Listener = (event: TriggerEvent) => void;

function newEventId(): string {
  return randomBytes(16).toString('base64url');
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

export class TriggerService implements Startable {
  private readonly c: TriggerServiceComponents;
  private readonly init: TriggerServiceInit;
  private readonly log: Logger;
  private readonly fetchFn: typeof fetch;
  private throttle: TriggerThrottle;
  /** The `triggers` section the throttle and configured webhooks were built from. */
  private triggersApplied: TriggerConfig['triggers'];
  private readonly inbound: TriggerThrottle;
  private readonly history: TriggerEvent[] = [];
  private readonly listeners = new Set<{ filter: EventFilter; listener: Listener }>();
  private readonly webhooks: Webhook[] = [];
  private readonly deliveries = new Set<Promise<void>>();
  private controller = new AbortController();
  private started = false;
  private readonly onMeshEvent = (e: CustomEvent<MeshEvent>): void => {
    this.receive(e.detail);
  };

  constructor(components: TriggerServiceComponents, init: TriggerServiceInit) {
    this.c = components;
    this.init = init;
    this.log = components.logger;
    this.fetchFn = components.fetch ?? globalThis.fetch;
    const triggers = init.config().triggers;
    this.triggersApplied = triggers;
    this.throttle = this.newThrottle(triggers);
    this.inbound = new TriggerThrottle(
      { clock: components.clock },
      { burst: init.inboundBurst ?? 100, perMinute: init.inboundPerMinute ?? 600 },
    );
    this.webhooks.push(...this.configWebhooks(triggers));
  }

  private newThrottle(triggers: TriggerConfig['triggers']): TriggerThrottle {
    return new TriggerThrottle(
      { clock: this.c.clock },
      { burst: triggers.throttle.burst, perMinute: triggers.throttle.per_minute },
    );
  }

  private configWebhooks(triggers: TriggerConfig['triggers']): Webhook[] {
    return triggers.webhooks.map((hook, i) => {
      const secret = hook.secret_env === null ? null : (this.init.env?.[hook.secret_env] ?? null);
      if (hook.secret_env !== null && secret === null) {
        this.log.warn(
          { webhook: hook.url, env: hook.secret_env },
          'webhook secret variable is not set; deliveries go unsigned',
        );
      }
      return {
        id: `config-${i}`,
        source: 'config',
        url: hook.url,
        match: hook.match,
        minPriority: hook.min_priority,
        secret,
        delivered: 0,
        failed: 0,
        lastError: null,
      };
    });
  }

  /**
   * The `triggers` section now; when it changed since last asked (the owner edited config.yaml),
   * the throttle is rebuilt if its limits changed and the configured webhooks are replaced (those
   * added through the API stay).
   */
  private triggers(): TriggerConfig['triggers'] {
    const triggers = this.init.config().triggers;
    if (triggers === this.triggersApplied) return triggers;
    const before = this.triggersApplied;
    this.triggersApplied = triggers;
    if (
      before.throttle.burst !== triggers.throttle.burst ||
      before.throttle.per_minute !== triggers.throttle.per_minute
    ) {
      this.throttle = this.newThrottle(triggers);
    }
    if (JSON.stringify(before.webhooks) !== JSON.stringify(triggers.webhooks)) {
      const fromApi = this.webhooks.filter((w) => w.source !== 'config');
      this.webhooks.splice(0, this.webhooks.length, ...this.configWebhooks(triggers), ...fromApi);
    }
    return triggers;
  }

  start(): Promise<void> {
    if (this.started) return Promise.resolve();
    this.started = true;
    this.controller = new AbortController();
    this.c.mesh.addEventListener('event', this.onMeshEvent);
    return Promise.resolve();
  }

  /** Stops listening, aborts webhook deliveries under way and waits for them to end. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.c.mesh.removeEventListener('event', this.onMeshEvent);
    this.controller.abort();
    await Promise.allSettled([...this.deliveries]);
  }

  /**
   * Fires a trigger on this node: validates it, applies the throttle (`TriggerThrottledError` when
   * over it; critical events pass when `triggers.throttle.critical_bypass`), delivers it here and
   * publishes it to the meshes the capability is exposed to.
   */
  async fire(input: FireInput, options: { signal?: AbortSignal } = {}): Promise<FiredEvent> {
    const capability = capabilityIdSchema.safeParse(input.capability);
    if (!capability.success) {
      throw new InvalidInputError(
        `invalid capability id "${input.capability}": ${capability.error.issues[0]?.message ?? ''}`,
        {
          details: { param: 'capability' },
        },
      );
    }
    const trigger = triggerSpecSchema.shape.name.safeParse(input.trigger);
    if (!trigger.success) {
      throw new InvalidInputError(
        `invalid trigger name "${input.trigger}": ${trigger.error.issues[0]?.message ?? ''}`,
        {
          details: { param: 'trigger' },
        },
      );
    }
    const payload = input.payload ?? null;
    const payloadBytes = Buffer.byteLength(JSON.stringify(payload), 'utf8');
    if (payloadBytes > MAX_EVENT_PAYLOAD_BYTES) {
      throw new MessageTooLargeError(
        `event payload is ${payloadBytes} bytes as JSON; at most ${MAX_EVENT_PAYLOAD_BYTES}`,
        { details: { param: 'payload' } },
      );
    }
    const local = this.localCapability(input.capability);
    const declared = local?.triggers.find((t) => t.name === input.trigger)?.priority;
    const priority = input.priority ?? declared ?? 'normal';
    const key = eventKey(input);
    const triggers = this.triggers();
    const bypass = priority === 'critical' && triggers.throttle.critical_bypass;
    if (!bypass) {
      const decision = this.throttle.take(key);
      if (!decision.allowed) {
        throw new TriggerThrottledError(
          `trigger ${key} is throttled (triggers.throttle: burst ${triggers.throttle.burst}, ${triggers.throttle.per_minute}/min); retry in ${Math.ceil(decision.retryAfterMs / 1000)} s`,
          {
            details: {
              retryAfterMs: decision.retryAfterMs,
              capability: input.capability,
              trigger: input.trigger,
            },
          },
        );
      }
    }
    const now = this.c.clock.now();
    const wire: MeshEventInput = {
      eventId: newEventId(),
      capability: input.capability,
      trigger: input.trigger,
      priority,
      payload,
      firedAtMs: now,
    };
    const meshIds = this.exposedMeshes(local ?? this.standIn(input.capability));
    const event: TriggerEvent = {
      ...wire,
      origin: { nodeId: this.init.nodeId, name: this.init.nodeName },
      local: true,
      meshIds,
      receivedAtMs: now,
    };
    this.deliver(event);
    if (meshIds.length === 0) return { event, meshIds };
    const published = await this.c.mesh.publishEvent(wire, {
      meshIds,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return { event, meshIds: published.meshIds };
  }

  /** Recent events, oldest first, at most `limit` (the newest ones). */
  recent(filter: EventFilter = {}, limit = Number.POSITIVE_INFINITY): TriggerEvent[] {
    const matching = this.history.filter((e) => matchesFilter(e, filter));
    return limit >= matching.length ? matching : matching.slice(matching.length - Math.max(0, limit));
  }

  /** Calls `listener` with every later event that passes `filter`; returns the unsubscribe. */
  subscribe(filter: EventFilter, listener: Listener): () => void {
    const entry = { filter, listener };
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /**
   * Later events that pass `filter`, as an async iterable that ends when `signal` aborts or the
   * service stops. A reader more than 1000 events behind loses the oldest ones.
   */
  async *stream(filter: EventFilter, options: { signal?: AbortSignal } = {}): AsyncGenerator<TriggerEvent> {
    const queue: TriggerEvent[] = [];
    let wake: (() => void) | undefined;
    const signal = AbortSignal.any([
      this.controller.signal,
      ...(options.signal === undefined ? [] : [options.signal]),
    ]);
    const onAbort = (): void => wake?.();
    signal.addEventListener('abort', onAbort);
    const unsubscribe = this.subscribe(filter, (event) => {
      queue.push(event);
      if (queue.length > MAX_LISTENER_BACKLOG) queue.shift();
      wake?.();
    });
    try {
      while (!signal.aborted) {
        const next = queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Every webhook subscriber with its delivery counts. */
  subscriptions(): WebhookSubscription[] {
    this.triggers(); // configured webhooks as the config says now
    return this.webhooks.map((w) => ({
      id: w.id,
      source: w.source,
      url: w.url,
      match: w.match,
      minPriority: w.minPriority,
      delivered: w.delivered,
      failed: w.failed,
      lastError: w.lastError,
    }));
  }

  /** Adds a webhook subscriber until the node stops (config webhooks are the lasting kind). */
  addSubscription(input: AddWebhookInput): WebhookSubscription {
    if (!isHttpUrl(input.url)) {
      throw new InvalidInputError(`webhook url must be http or https: "${input.url}"`, {
        details: { param: 'url' },
      });
    }
    if (this.webhooks.filter((w) => w.source === 'api').length >= MAX_API_WEBHOOKS) {
      throw new InvalidInputError(`at most ${MAX_API_WEBHOOKS} subscriptions may be added through the API`);
    }
    const hook: Webhook = {
      id: `sub-${randomBytes(6).toString('hex')}`,
      source: 'api',
      url: input.url,
      match: input.match === undefined || input.match.length === 0 ? ['*'] : [...input.match],
      minPriority: input.minPriority ?? 'low',
      secret: null,
      delivered: 0,
      failed: 0,
      lastError: null,
    };
    this.webhooks.push(hook);
    return this.subscriptions().find((s) => s.id === hook.id) as WebhookSubscription;
  }

  /** Removes a subscription added through the API. */
  removeSubscription(id: string): void {
    const index = this.webhooks.findIndex((w) => w.id === id);
    const hook = this.webhooks[index];
    if (hook === undefined) throw new NotFoundError(`no subscription ${id}`, { details: { id } });
    if (hook.source === 'config') {
      throw new InvalidInputError(
        `subscription ${id} comes from config (triggers.webhooks); edit the config to remove it`,
      );
    }
    this.webhooks.splice(index, 1);
  }

  /** Resolves when every webhook delivery under way has ended (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.deliveries.size > 0) await Promise.allSettled([...this.deliveries]);
  }

  // ---- internals -------------------------------------------------------------------------------

  private receive(event: MeshEvent): void {
    if (!this.started) return;
    if (!this.inbound.take(event.originId).allowed) {
      this.log.warn({ nodeId: event.originId }, 'dropped a trigger event: the member sends too many');
      return;
    }
    const peer = this.c.mesh.peers().find((p) => p.nodeId === event.originId);
    this.deliver({
      eventId: event.eventId,
      capability: event.capability,
      trigger: event.trigger,
      priority: event.priority,
      payload: event.payload,
      firedAtMs: event.firedAtMs,
      origin: { nodeId: event.originId, name: peer?.name ?? '' },
      local: false,
      meshIds: [event.meshId],
      receivedAtMs: event.receivedAtMs,
    });
  }

  private deliver(event: TriggerEvent): void {
    this.history.push(event);
    const max = this.triggers().history_size;
    if (this.history.length > max) this.history.splice(0, this.history.length - max);
    for (const { filter, listener } of [...this.listeners]) {
      if (!matchesFilter(event, filter)) continue;
      try {
        listener(event);
      } catch (err) {
        this.log.warn({ err: toAtmosphereError(err).message }, 'an event listener failed');
      }
    }
    for (const hook of this.webhooks) {
      if (!matchesFilter(event, { match: hook.match, minPriority: hook.minPriority })) continue;
      if (this.deliveries.size >= (this.init.maxConcurrentDeliveries ?? 64)) {
        hook.failed++;
        hook.lastError = 'dropped: too many deliveries under way';
        this.log.warn(
          { webhook: hook.url, eventId: event.eventId },
          'webhook delivery dropped: too many under way',
        );
        continue;
      }
      const delivery = this.post(hook, event)
        .catch((err: unknown) => {
          this.log.error({ err: toAtmosphereError(err).message }, 'webhook delivery failed unexpectedly');
        })
        .finally(() => this.deliveries.delete(delivery));
      this.deliveries.add(delivery);
    }
  }

  /** POSTs one event, retrying network errors, timeouts, 5xx and 429 with doubling delays. */
  private async post(hook: Webhook, event: TriggerEvent): Promise<void> {
    const { webhook_retries: retries, webhook_timeout_seconds: timeoutS } = this.triggers();
    const body = JSON.stringify(event);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': this.init.userAgent ?? 'atmosphere',
      'x-atmosphere-event': event.eventId,
    };
    if (hook.secret !== null) {
      headers['x-atmosphere-signature'] =
        `sha256=${createHmac('sha256', hook.secret).update(body).digest('hex')}`;
    }
    const stop = this.controller.signal;
    let lastError = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        try {
          await sleep((this.init.retryBaseDelayMs ?? 500) * 2 ** (attempt - 1), undefined, { signal: stop });
        } catch {
          break; // stopping
        }
      }
      if (stop.aborted) break;
      let retry: boolean;
      try {
        const response = await this.fetchFn(hook.url, {
          method: 'POST',
          headers,
          body,
          // a redirect is a failure: the owner configured this exact URL
          redirect: 'manual',
          signal: AbortSignal.any([stop, AbortSignal.timeout(timeoutS * 1000)]),
        });
        await response.body?.cancel().catch(() => undefined);
        if (response.ok) {
          hook.delivered++;
          hook.lastError = null;
          return;
        }
        lastError =
          response.status >= 300 && response.status < 400
            ? `HTTP ${response.status} redirect (not followed)`
            : `HTTP ${response.status}`;
        retry = response.status >= 500 || response.status === 429 || response.status === 408;
      } catch (err) {
        lastError = toAtmosphereError(err).message;
        retry = true;
      }
      if (!retry) break;
    }
    hook.failed++;
    hook.lastError = stop.aborted ? 'node stopping' : lastError;
    if (!stop.aborted) {
      this.log.warn({ webhook: hook.url, eventId: event.eventId, err: lastError }, 'webhook delivery failed');
    }
  }

  private localCapability(id: string): Capability | undefined {
    return this.init.capabilities?.().find((c) => c.id === id && c.nodeId === this.init.nodeId);
  }

  /** A capability the scanner does not know (fired by a local integration): exposure goes by id. */
  private standIn(id: string): Capability {
    const type = id.includes('/') ? id.split('/').slice(0, 2).join('/') : 'system';
    return {
      id,
      type,
      nodeId: this.init.nodeId,
      description: '',
      tools: [],
      triggers: [],
      metadata: {},
      workType: defaultWorkType(type),
    };
  }

  private exposedMeshes(capability: Capability): string[] {
    return this.c.mesh
      .meshes()
      .map((m) => m.meshId)
      .filter((meshId) => exposedToMeshes(this.init.config(), capability, [meshId]).exposed);
  }
}
