import type {
  Capability,
  Clock,
  Logger,
  MeshAnnouncement,
  MeshRevocationNotice,
  ResolvedConfig,
  Startable,
} from '../core/index.js';
import { capabilityExposure, parseCapability, toAtmosphereError } from '../core/index.js';
import type { DiscoverBackendsInput, DiscoveredBackend } from '../integrations/index.js';
import { createBackends, probeBackend, resolveOllamaUrl } from '../integrations/index.js';
import type { MeshService } from '../mesh/index.js';
import type { LocalModel } from './backend-capabilities.js';
import { capabilityForModel, capabilityIdFor } from './backend-capabilities.js';
import type { MeshGateway } from './mesh-gateway.js';

export interface CapabilityServiceComponents {
  readonly mesh: MeshService;
  readonly gateway: MeshGateway;
  readonly logger: Logger;
  readonly clock: Clock;
}

export interface CapabilityServiceInit {
  readonly config: ResolvedConfig;
  readonly nodeId: string;
  readonly nodeName: string;
  readonly version: string;
  /** `OLLAMA_HOST`, read where config is resolved. */
  readonly ollamaHostEnv?: string;
  /** This node's device capabilities (the Matter bridge's); call `devicesChanged()` when they change. */
  readonly devices?: () => readonly Capability[];
}

/** The capability document a node serves by digest (its announcement carries only the digest). */
export interface CapabilityDocument {
  readonly version: 1;
  readonly node: { readonly name: string; readonly version: string };
  readonly capabilities: readonly Omit<Capability, 'nodeId'>[];
}

export const MAX_ANNOUNCED_CAPABILITIES = 1000;

/** Backends as the config describes them (cloud keys come from the environment named in config). */
export function backendsInput(
  config: ResolvedConfig,
  env: { ollamaHost?: string; vars: NodeJS.ProcessEnv },
): DiscoverBackendsInput {
  const { integrations } = config;
  return {
    ollama: integrations.ollama.enabled
      ? { url: resolveOllamaUrl({ configUrl: integrations.ollama.url, ollamaHostEnv: env.ollamaHost }) }
      : false,
    llamafarm: integrations.llamafarm.enabled
      ? { url: integrations.llamafarm.url, namespaces: integrations.llamafarm.namespaces }
      : false,
    cloud: integrations.cloud.map((p) => ({
      name: p.name,
      baseUrl: p.base_url,
      apiKey: env.vars[p.api_key_env] ?? null,
      apiKeyEnv: p.api_key_env,
      ...(p.models.length ? { models: p.models } : {}),
    })),
  };
}

/**
 * Keeps the node's picture of capabilities current: finds this node's model servers and models
 * (at start and every `integrations.rescan_interval_seconds`), announces the ones the owner exposes,
 * and fetches every peer's capability document when its announcement changes.
 */
export class CapabilityService implements Startable {
  private readonly c: CapabilityServiceComponents;
  private readonly init: CapabilityServiceInit;
  private readonly log: Logger;
  private readonly backendsInput: DiscoverBackendsInput;
  private timer: NodeJS.Timeout | null = null;
  private controller = new AbortController();
  private readonly knownDigests = new Map<string, string>();
  private discovered: readonly DiscoveredBackend[] = [];
  /** The models and their capabilities as last scanned (device capabilities are added to these). */
  private models: readonly LocalModel[] = [];
  private modelCapabilities: readonly Capability[] = [];
  /** This node's capabilities as last scanned, exposed or not. */
  private localCapabilities: readonly Capability[] = [];
  /** The exposure rules in effect (they change while the node runs: `reannounce`). */
  private exposureConfig: Pick<ResolvedConfig, 'expose' | 'access'>;
  private scanning: Promise<void> | null = null;
  private readonly onAnnouncement = (event: CustomEvent<MeshAnnouncement>): void => {
    this.ingest(event.detail).catch((err: unknown) =>
      this.log.warn(
        { nodeId: event.detail.nodeId, err: toAtmosphereError(err).message },
        'could not fetch capabilities',
      ),
    );
  };
  private readonly onRevocation = (event: CustomEvent<MeshRevocationNotice>): void => {
    if (event.detail.self) return;
    this.knownDigests.delete(event.detail.nodeId);
    this.c.gateway.removeRemote(event.detail.nodeId);
  };

  constructor(
    components: CapabilityServiceComponents,
    init: CapabilityServiceInit & { env?: NodeJS.ProcessEnv },
  ) {
    this.c = components;
    this.init = init;
    this.exposureConfig = init.config;
    this.log = components.logger;
    this.backendsInput = backendsInput(init.config, {
      ...(init.ollamaHostEnv === undefined ? {} : { ollamaHost: init.ollamaHostEnv }),
      vars: init.env ?? {},
    });
  }

  /** What the last scan found, reachable or not (for status and the scanner). */
  backends(): readonly DiscoveredBackend[] {
    return this.discovered;
  }

  async start(): Promise<void> {
    this.controller = new AbortController();
    this.c.mesh.addEventListener('announcement', this.onAnnouncement);
    this.c.mesh.addEventListener('revocation', this.onRevocation);
    for (const announcement of this.c.mesh.announcements())
      this.onAnnouncement(new CustomEvent('announcement', { detail: announcement }));
    await this.c.mesh.setAnnouncement(this.document([]));
    // The first scan runs in the background: a slow model server must not hold up the node's start.
    void this.rescan();
    const everyS = this.init.config.integrations.rescan_interval_seconds;
    if (everyS > 0) {
      this.timer = setInterval(() => void this.rescan(), everyS * 1000);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.controller.abort();
    this.c.mesh.removeEventListener('announcement', this.onAnnouncement);
    this.c.mesh.removeEventListener('revocation', this.onRevocation);
    await this.scanning?.catch(() => undefined);
  }

  /** Starts a scan unless one is running; resolves when the current scan is done. */
  rescan(): Promise<void> {
    if (!this.scanning) {
      this.scanning = this.scan()
        .catch((err: unknown) =>
          this.log.warn({ err: toAtmosphereError(err).message }, 'backend scan failed'),
        )
        .finally(() => {
          this.scanning = null;
        });
    }
    return this.scanning;
  }

  private async scan(): Promise<void> {
    const { logger, clock } = this.c;
    const signal = this.controller.signal;
    const backends = createBackends({ logger: logger.child('backend'), clock }, this.backendsInput);
    this.discovered = await Promise.all(backends.map((b) => probeBackend(b, { signal })));
    if (signal.aborted) return;
    const models: LocalModel[] = this.discovered.flatMap((d) =>
      d.models.map((model) => ({
        capabilityId: capabilityIdFor(d.backend, model),
        backend: d.backend,
        model,
      })),
    );
    const capabilities: Capability[] = [];
    for (const m of models) {
      try {
        capabilities.push(capabilityForModel(this.init.nodeId, m));
      } catch (err) {
        this.log.warn({ capability: m.capabilityId, err: toAtmosphereError(err).message }, 'skipped a model');
      }
    }
    this.models = models;
    this.modelCapabilities = capabilities;
    const exposed = await this.publishLocal();
    this.log.info(
      {
        backends: this.discovered.map((d) => `${d.backend.name}:${d.health.status}`).join(' '),
        models: models.length,
        exposed: exposed.length,
      },
      'scanned model servers',
    );
  }

  /** Indexes this node's models and devices as its local capabilities and announces the exposed ones. */
  private async publishLocal(): Promise<Capability[]> {
    const capabilities = [...this.modelCapabilities, ...(this.init.devices?.() ?? [])];
    await this.c.gateway.setLocal(this.models, capabilities);
    this.localCapabilities = capabilities;
    return this.announceExposed();
  }

  /** Device capabilities changed (a device paired or removed): re-index and re-announce at once. */
  async devicesChanged(): Promise<void> {
    const exposed = await this.publishLocal();
    this.log.info(
      { capabilities: this.localCapabilities.length, exposed: exposed.length },
      're-announced after a device change',
    );
  }

  /** The capabilities the owner exposes now, announced (the document is fetched by digest). */
  private async announceExposed(): Promise<Capability[]> {
    const exposed = this.localCapabilities.filter(
      (cap) => capabilityExposure(this.exposureConfig, cap).exposed,
    );
    await this.c.mesh.setAnnouncement(this.document(exposed));
    return exposed;
  }

  /**
   * Applies new exposure rules at once: announces what is exposed now, so peers drop a withdrawn
   * capability from their routing as soon as the announcement reaches them.
   */
  async reannounce(config: Pick<ResolvedConfig, 'expose' | 'access'>): Promise<void> {
    this.exposureConfig = config;
    const exposed = await this.announceExposed();
    this.log.info(
      { exposed: exposed.length, of: this.localCapabilities.length },
      're-announced after an exposure change',
    );
  }

  /** This node's own capabilities as last scanned, exposed or not. */
  local(): readonly Capability[] {
    return this.localCapabilities;
  }

  /** Whether the current rules expose `capability` (before asking which mesh). */
  exposure(capability: Capability): ReturnType<typeof capabilityExposure> {
    return capabilityExposure(this.exposureConfig, capability);
  }

  private document(exposed: readonly Capability[]): {
    summary: unknown;
    document: CapabilityDocument;
    capabilityCount: number;
  } {
    const capabilities = exposed
      .slice(0, MAX_ANNOUNCED_CAPABILITIES)
      .map(({ nodeId: _nodeId, ...rest }) => rest);
    return {
      summary: {
        name: this.init.nodeName,
        version: this.init.version,
        types: [...new Set(exposed.map((c) => c.type))],
      },
      document: { version: 1, node: { name: this.init.nodeName, version: this.init.version }, capabilities },
      capabilityCount: capabilities.length,
    };
  }

  /** Fetches a peer's capability document when its digest changed, and indexes what it offers. */
  private async ingest(announcement: MeshAnnouncement): Promise<void> {
    const { nodeId, digest } = announcement;
    if (nodeId === this.init.nodeId || this.knownDigests.get(nodeId) === digest) return;
    this.knownDigests.set(nodeId, digest);
    let doc: unknown;
    try {
      doc = await this.c.mesh.fetchDocument(nodeId, digest, { signal: this.controller.signal });
    } catch (err) {
      // forget it, so the next announcement or heartbeat naming this digest tries again
      if (this.knownDigests.get(nodeId) === digest) this.knownDigests.delete(nodeId);
      throw err;
    }
    const list = (doc as { capabilities?: unknown } | null)?.capabilities;
    const capabilities: Capability[] = [];
    if (Array.isArray(list)) {
      for (const entry of list.slice(0, MAX_ANNOUNCED_CAPABILITIES)) {
        try {
          // the announcing peer is the node; a nodeId inside the document is not trusted
          const { nodeId: _claimed, ...rest } = (entry ?? {}) as Record<string, unknown>;
          capabilities.push(parseCapability(rest, { nodeId }));
        } catch (err) {
          this.log.warn(
            { nodeId, err: toAtmosphereError(err).message },
            'dropped an invalid capability from a peer',
          );
        }
      }
    }
    await this.c.gateway.setRemote(nodeId, announcement.name, capabilities);
    this.log.info({ nodeId, capabilities: capabilities.length }, 'indexed peer capabilities');
  }
}
