import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import os, { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiApp, RunningHttpServer } from '../api/index.js';
import type { BuildInfo, HomePaths } from '../client/index.js';
import { apiCertificatePath } from '../client/index.js';
import type {
  Clock,
  ConfigInput,
  Embedder,
  Logger,
  NodeState,
  NodeStatusInfo,
  ResolvedConfig,
  Startable,
  Store,
} from '../core/index.js';
import { InvalidStateError, toAtmosphereError, totalGpuMemoryBytes } from '../core/index.js';
import type { MeshService } from '../mesh/index.js';
import { atomicWriteFileSync } from './fs-atomic.js';
import type { NodeIdentity } from './identity.js';
import type { CapabilityService } from './capability-service.js';
import type { MeshGateway } from './mesh-gateway.js';
import type { PowerMonitor } from './power-monitor.js';
import type { CostService } from './cost/cost-service.js';
import { MatterWiring } from './matter-wiring.js';
import type { TriggerService } from './trigger-service.js';
import type { ScanService } from './scan-service.js';
import { LiveConfig } from './live-config.js';
import { AuditFeed } from './audit-feed.js';
import { AuditRetention } from './audit-retention.js';
import { setConfigSections } from './config-file.js';
import { removeFile } from './runtime-state.js';
import { PendingJoinFile } from './pending-join.js';
import type { TlsFiles } from './config-tls.js';
import { loadTlsFiles } from './config-tls.js';

export interface NodeComponents {
  readonly home: HomePaths;
  readonly config: ResolvedConfig;
  readonly identity: NodeIdentity;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly buildInfo: BuildInfo;
  /** The environment config was resolved with (cloud API keys, `OLLAMA_HOST`). */
  readonly env?: NodeJS.ProcessEnv;
  /** The flags config was resolved with: the node re-resolves `config.yaml` with them when it changes. */
  readonly flags?: ConfigInput;
}

export interface NodeInit {
  /** How long `stop()` lets in-flight work finish before aborting it (default 10 s). */
  readonly shutdownDeadlineMs?: number;
  /** The built web UI; default: `ui/dist` in the package, when present. */
  readonly uiDir?: string | null;
}

export const DEFAULT_SHUTDOWN_DEADLINE_MS = 10_000;

/** The packaged control panel, if this install has one. */
export function defaultUiDir(): string | null {
  const dir = fileURLToPath(new URL('../../ui/dist', import.meta.url));
  return existsSync(dir) ? dir : null;
}

/**
 * Where a phone opens this node's phone app: the API's own address, or every non-internal IPv4
 * address when it listens on all of them. `local` when it listens on loopback only.
 */
export function phoneOrigins(
  host: string,
  port: number,
  interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces(),
  scheme: 'http' | 'https' = 'http',
): { origins: string[]; local: boolean } {
  const origin = (h: string): string => `${scheme}://${h.includes(':') ? `[${h}]` : h}:${port}`;
  const loopback = host === 'localhost' || host.startsWith('127.') || host === '::1';
  if (loopback) return { origins: [origin(host === 'localhost' ? '127.0.0.1' : host)], local: true };
  if (host !== '0.0.0.0' && host !== '::') return { origins: [origin(host)], local: false };
  const lan = Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((i) => i.family === 'IPv4' && !i.internal)
    .map((i) => origin(i.address));
  return lan.length > 0 ? { origins: lan, local: false } : { origins: [origin('127.0.0.1')], local: true };
}

/** The built phone app (ui/dist-phone), or null when this build has none. */
export function defaultPhoneDir(): string | null {
  const dir = fileURLToPath(new URL('../../ui/dist-phone', import.meta.url));
  return existsSync(dir) ? dir : null;
}

/** The URL a local client uses for a server bound to `host` (a wildcard bind is reached on loopback). */
export function urlForBind(host: string, port: number, scheme: 'http' | 'https' = 'http'): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `${scheme}://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/**
 * The subsystems, loaded when a node starts rather than when this module is imported: the CLI
 * imports the node module for light commands too (`init`, `config`, launching a background node),
 * which should not pay for libp2p, SQLite and the HTTP server.
 */
async function loadSubsystems() {
  const [api, mesh, router, store, capabilities, gateway, triggers, scans] = await Promise.all([
    import('../api/index.js'),
    import('../mesh/index.js'),
    import('../router/index.js'),
    import('../store/index.js'),
    import('./capability-service.js'),
    import('./mesh-gateway.js'),
    import('./trigger-service.js'),
    import('./scan-service.js'),
  ]);
  return {
    createApiApp: api.createApiApp,
    startHttpServer: api.startHttpServer,
    MeshService: mesh.MeshService,
    nodeMeshPlatform: mesh.nodeMeshPlatform,
    SemanticRouter: router.SemanticRouter,
    WordVectorEmbedder: router.WordVectorEmbedder,
    predicateConstraint: router.predicateConstraint,
    openSqliteStore: store.openSqliteStore,
    CapabilityService: capabilities.CapabilityService,
    MeshGateway: gateway.MeshGateway,
    TriggerService: triggers.TriggerService,
    ScanService: scans.ScanService,
    localScanBackends: scans.localScanBackends,
  };
}

/**
 * One Atmosphere node: the composition root that owns the store, the HTTP API and (as later issues
 * land) the mesh, router and scanner. Build it with `createNode()`.
 */
export class AtmosphereNode implements Startable {
  private readonly components: NodeComponents;
  private readonly init: NodeInit;
  private readonly log: Logger;
  private currentState: NodeState = 'stopped';
  private store: Store | null = null;
  private mesh: MeshService | null = null;
  private gateway: MeshGateway | null = null;
  private powerMonitor: PowerMonitor | null = null;
  private costService: CostService | null = null;
  private matter: MatterWiring | null = null;
  private capabilityService: CapabilityService | null = null;
  private triggerService: TriggerService | null = null;
  private scanService: ScanService | null = null;
  private liveConfig: LiveConfig | null = null;
  private auditRetention: AuditRetention | null = null;
  private server: RunningHttpServer | null = null;
  /** `tls.cert_file` and `tls.key_file`, read at start; null for plain HTTP and WS. */
  private tls: TlsFiles | null = null;
  private api: ApiApp | null = null;
  private startedAtMs = 0;
  private lifetime = new AbortController();

  constructor(components: NodeComponents, init: NodeInit = {}) {
    this.components = components;
    this.init = init;
    this.log = components.logger.child('node');
  }

  get state(): NodeState {
    return this.currentState;
  }

  get name(): string {
    return this.components.config.node.name || hostname();
  }

  get apiUrl(): string {
    const server = this.server;
    if (!server) throw new InvalidStateError('the node is not started');
    return urlForBind(server.host, server.port, server.secure ? 'https' : 'http');
  }

  get uiUrl(): string {
    return `${this.apiUrl}/ui/`;
  }

  /** Aborted when the node stops; long-running work started by the node listens to it. */
  get signal(): AbortSignal {
    return this.lifetime.signal;
  }

  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.currentState === 'started' || this.currentState === 'starting') return;
    if (this.currentState === 'stopping') throw new InvalidStateError('the node is still stopping');
    this.currentState = 'starting';
    this.lifetime = new AbortController();
    const { home, config, clock, logger, identity } = this.components;
    try {
      const {
        createApiApp,
        startHttpServer,
        MeshService,
        nodeMeshPlatform,
        SemanticRouter,
        WordVectorEmbedder,
        predicateConstraint,
        openSqliteStore,
        CapabilityService,
        MeshGateway,
        TriggerService,
        ScanService,
        localScanBackends,
      } = await loadSubsystems();
      // read before anything listens: a bad tls setting stops the start with an error naming the key
      const tls = loadTlsFiles(config.tls, home.root);
      this.tls = tls;
      if (tls !== null) {
        this.log.info(
          {
            certFile: tls.certFile,
            subjectAltName: tls.subjectAltName,
            validTo: new Date(tls.validToMs).toISOString(),
          },
          'serving HTTPS on the API and WSS on the mesh WebSocket port',
        );
        if (tls.validToMs <= clock.now()) {
          this.log.warn(
            { certFile: tls.certFile },
            'the TLS certificate has expired: browsers will refuse it',
          );
        }
      }
      this.store = openSqliteStore({ logger: logger.child('store'), clock }, { path: home.database });
      // every audit entry is written through this, so `GET /api/audit?follow=1` sees it as it is written
      const audit = new AuditFeed({ audit: this.store.audit });
      const live = new LiveConfig(
        { logger: logger.child('config') },
        {
          path: home.config,
          initial: config,
          ...(this.components.env === undefined ? {} : { env: this.components.env }),
          ...(this.components.flags === undefined ? {} : { flags: this.components.flags }),
        },
      );
      this.liveConfig = live;
      this.mesh = new MeshService(
        {
          ...nodeMeshPlatform(),
          privateKey: identity.privateKey,
          logger: logger.child('mesh'),
          clock,
          state: this.store.mesh,
        },
        {
          name: this.name,
          listenHost: config.mesh.listen_host,
          tcpPort: config.mesh.tcp_port,
          wsPort: config.mesh.ws_port,
          ...(tls === null ? {} : { wsTls: { key: tls.key, cert: tls.cert } }),
          mdns: config.mesh.mdns,
          bootstrap: config.mesh.bootstrap,
          relay: config.mesh.relay,
          useRelays: config.mesh.use_relays,
          peerTimeoutMs: config.mesh.peer_timeout_seconds * 1000,
          targetPeers: config.mesh.target_peers,
        },
      );
      await this.mesh.start(options);
      const mesh = this.mesh;
      // A member in view is reachable: the mesh keeps only `targetPeers` connected and dials on demand.
      const isConnected = (nodeId: string): boolean => mesh.isReachable(nodeId);
      // The cost model: this node's factors, every member's broadcast costs, cloud spend and budget.
      const [{ CostCollector }, { CostService }] = await Promise.all([
        import('./cost/cost-collector.js'),
        import('./cost/cost-service.js'),
      ]);
      const costs = new CostService(
        {
          clock,
          logger: logger.child('cost'),
          spend: this.store.spend,
          mesh,
          collector: new CostCollector(
            {
              clock,
              logger: logger.child('cost'),
              power: { refresh: (o) => this.powerMonitor?.refresh(o) ?? Promise.resolve(null) },
              peerRtts: () => mesh.peers().flatMap((p) => (p.connected && p.rttMs !== null ? [p.rttMs] : [])),
              observedMbps: () => mesh.observedThroughputMbps(),
            },
            { pins: () => live.current.cost.pin },
          ),
        },
        { nodeId: identity.nodeId, name: () => this.name, config: () => live.current.cost },
      );
      this.costService = costs;
      // The router's embedder: `routing.embedder`, probed now; the built-in one when Ollama cannot serve.
      // Its word vectors serve word-by-word matching with either (they are never compared with text vectors).
      const builtinEmbedder = new WordVectorEmbedder({});
      const { embedder } = await createRouterEmbedder(
        { logger: logger.child('router'), builtin: builtinEmbedder },
        {
          config,
          ...(this.components.env?.OLLAMA_HOST === undefined
            ? {}
            : { ollamaHostEnv: this.components.env.OLLAMA_HOST }),
        },
        options,
      );
      const router = new SemanticRouter(
        { embedder, wordVectors: builtinEmbedder, logger: logger.child('router') },
        {
          constraints: [
            predicateConstraint('reachable', (cap) => isConnected(cap.nodeId), 'its node is not connected'),
            predicateConstraint(
              'cloud-budget',
              (cap) => costs.exclusion(cap) === null,
              (cap) => costs.exclusion(cap) ?? 'the monthly cloud budget is spent',
            ),
          ],
          weights: () => live.current.cost.route_weights,
          cost: (cap) => costs.routeCost(cap),
        },
      );
      // Limits are read from the live config on every request: an edit applies to the next one.
      const [{ WorkLimiter }, { PowerMonitor }] = await Promise.all([
        import('./work-limiter.js'),
        import('./power-monitor.js'),
      ]);
      const limiter = new WorkLimiter(
        { clock, logger: logger.child('limits') },
        {
          limits: () => ({
            maxConcurrent: live.current.limits.max_concurrent,
            maxQueue: live.current.limits.max_queue,
          }),
        },
      );
      this.powerMonitor = new PowerMonitor({ clock, logger: logger.child('power') });
      await this.powerMonitor.start(options);
      await costs.start(options);
      // GPU memory for the VRAM cap comes from the latest scan report, re-read at most every 30 s.
      let gpuMemory: { atMs: number; bytes: number | null } | null = null;
      const gpuMemoryBytes = (): number | null => {
        const scans = this.scanService;
        if (scans === null) return null;
        if (gpuMemory === null || clock.now() - gpuMemory.atMs > 30_000) {
          gpuMemory = {
            atMs: clock.now(),
            bytes: totalGpuMemoryBytes(scans.latest()?.hardware.gpus ?? []),
          };
        }
        return gpuMemory.bytes;
      };
      // Matter: started only when `matter.enabled` (matter.js is loaded by the bridge's start).
      const matter = new MatterWiring(
        { logger: logger.child('matter'), clock },
        { config: config.matter, home, nodeId: identity.nodeId },
      );
      this.matter = matter;
      await matter.start();
      const deviceTools = matter.tools();
      this.gateway = new MeshGateway(
        {
          router,
          mesh: {
            invoke: (nodeId, request, opts) => mesh.invoke(nodeId, request, opts),
            isConnected,
          },
          audit,
          logger: logger.child('gateway'),
          clock,
          limiter,
          power: this.powerMonitor,
          cost: costs,
          ...(deviceTools ? { devices: deviceTools } : {}),
        },
        {
          nodeId: identity.nodeId,
          nodeName: () => this.name,
          maxAttempts: config.routing.max_attempts,
          historySize: config.routing.history_size,
          policy: () => live.current,
          gpuMemoryBytes,
        },
      );
      const gateway = this.gateway;
      mesh.handleInvoke((request, ctx) => gateway.serve(request, ctx));
      this.capabilityService = new CapabilityService(
        { mesh, gateway, logger: logger.child('capabilities'), clock },
        {
          config,
          nodeId: identity.nodeId,
          nodeName: this.name,
          version: this.components.buildInfo.version,
          env: this.components.env ?? {},
          ...(this.components.env?.OLLAMA_HOST === undefined
            ? {}
            : { ollamaHostEnv: this.components.env.OLLAMA_HOST }),
          devices: () => matter.capabilities(),
        },
      );
      await this.capabilityService.start();
      const capabilityService = this.capabilityService;
      live.onChange(() => {
        costs
          .refresh()
          .catch((err: unknown) =>
            this.log.warn(
              { err: toAtmosphereError(err).message },
              'could not resample cost after a config change',
            ),
          );
        capabilityService
          .reannounce(live.current)
          .catch((err: unknown) =>
            this.log.warn(
              { err: toAtmosphereError(err).message },
              'could not re-announce after a config change',
            ),
          );
      });
      await live.start();
      this.auditRetention = new AuditRetention(
        { audit, clock, logger: logger.child('audit') },
        { retentionDays: () => live.current.access.audit_retention_days },
      );
      await this.auditRetention.start();
      this.triggerService = new TriggerService(
        { mesh, logger: logger.child('triggers'), clock },
        {
          config: () => live.current,
          nodeId: identity.nodeId,
          nodeName: this.name,
          capabilities: () => gateway.capabilities(),
          env: this.components.env ?? {},
          userAgent: `atmosphere/${this.components.buildInfo.version}`,
        },
      );
      await this.triggerService.start();
      matter.connect({ triggers: this.triggerService, capabilities: capabilityService });
      const scanBackends = localScanBackends({ logger, clock }, config, {
        ...(this.components.env?.OLLAMA_HOST === undefined
          ? {}
          : { ollamaHost: this.components.env.OLLAMA_HOST }),
      });
      this.scanService = new ScanService(
        {
          kv: this.store.kv,
          logger: logger.child('scanner'),
          clock,
          backends: () => scanBackends,
        },
        { config: () => live.current, workDir: home.root },
      );
      await this.scanService.start();
      const scanService = this.scanService;
      live.onChange(() => {
        scanService.reschedule();
      });
      const ownerToken = randomBytes(32).toString('base64url');
      atomicWriteFileSync(home.ownerToken, `${ownerToken}\n`, { mode: 0o600 });
      this.startedAtMs = clock.now();
      this.api = createApiApp(
        {
          logger: logger.child('api'),
          clock,
          ownerToken,
          status: () => this.status(),
          store: this.store,
          audit,
          mesh: this.mesh,
          gateway: this.gateway,
          router: this.gateway,
          triggers: this.triggerService,
          scanner: this.scanService,
          cost: {
            view: () => costs.view(),
            spend: (by, days) => costs.spendReport(by, days),
          },
          exposure: {
            current: () => live.current,
            capabilities: () =>
              capabilityService.local().map((cap) => {
                const decision = capabilityService.exposure(cap);
                return { id: cap.id, type: cap.type, exposed: decision.exposed, rule: decision.rule };
              }),
            configError: () => live.error,
            usage: () => limiter.stats(),
            update: (sections) => {
              setConfigSections(home.config, sections);
              live.reload();
              return Promise.resolve();
            },
          },
          matter: matter.owner(),
          tools: {
            invokeTool: (target, opts) => gateway.invokeTool(target, opts),
            act: (intent, args, opts) => gateway.act(intent, args, opts),
          },
          joins: new PendingJoinFile({ mesh: this.mesh }, { path: join(home.root, 'join.json') }),
        },
        {
          corsOrigins: config.api.cors_origins,
          requireAuthForV1: () => live.current.access.require_auth,
          // chat histories sent to /v1 can be long
          maxBodyBytes: 16 * 1024 * 1024,
          uiDir: this.init.uiDir === undefined ? defaultUiDir() : this.init.uiDir,
          phoneDir: defaultPhoneDir(),
          phoneOrigins: () =>
            phoneOrigins(
              config.api.host,
              this.server?.port ?? config.api.port,
              undefined,
              tls === null ? 'http' : 'https',
            ),
        },
      );
      this.server = await startHttpServer(this.api, {
        host: config.api.host,
        port: config.api.port,
        ...(tls === null ? {} : { tls: { cert: tls.cert, key: tls.key } }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      // the CLI trusts this certificate when it talks to this node (`RuntimeState.apiCa`)
      if (tls === null) removeFile(apiCertificatePath(home.root));
      else atomicWriteFileSync(apiCertificatePath(home.root), tls.cert);
      this.currentState = 'started';
      this.log.info({ nodeId: this.components.identity.nodeId, apiUrl: this.apiUrl }, 'node started');
    } catch (err) {
      await this.teardown(0);
      this.currentState = 'stopped';
      throw err;
    }
  }

  async stop(options: { signal?: AbortSignal; deadlineMs?: number } = {}): Promise<void> {
    if (this.currentState === 'stopped' || this.currentState === 'stopping') return;
    this.currentState = 'stopping';
    this.log.info('node stopping');
    await this.teardown(options.deadlineMs ?? this.init.shutdownDeadlineMs ?? DEFAULT_SHUTDOWN_DEADLINE_MS);
    this.currentState = 'stopped';
    this.log.info('node stopped');
  }

  /** Stops accepting, gives in-flight work `deadlineMs`, aborts the rest, closes the database. */
  private async teardown(deadlineMs: number): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) {
      try {
        await server.close({ deadlineMs });
      } catch (err) {
        this.log.warn({ err }, 'HTTP server did not close cleanly');
      }
    }
    this.lifetime.abort();
    this.api = null;
    if (this.auditRetention) {
      await this.auditRetention.stop();
      this.auditRetention = null;
    }
    if (this.liveConfig) {
      await this.liveConfig.stop();
      this.liveConfig = null;
    }
    if (this.scanService) {
      await this.scanService.stop();
      this.scanService = null;
    }
    if (this.triggerService) {
      await this.triggerService.stop();
      this.triggerService = null;
    }
    if (this.capabilityService) {
      await this.capabilityService.stop();
      this.capabilityService = null;
    }
    this.gateway = null;
    if (this.matter) {
      try {
        await this.matter.stop();
      } catch (err) {
        this.log.warn({ err }, 'Matter bridge did not stop cleanly');
      }
      this.matter = null;
    }
    if (this.costService) {
      await this.costService.stop();
      this.costService = null;
    }
    if (this.powerMonitor) {
      await this.powerMonitor.stop();
      this.powerMonitor = null;
    }
    if (this.mesh) {
      try {
        await this.mesh.stop();
      } catch (err) {
        this.log.warn({ err }, 'mesh did not stop cleanly');
      }
      this.mesh = null;
    }
    if (this.store) {
      this.store.close();
      this.store = null;
    }
    removeFile(this.components.home.ownerToken);
    if (this.tls !== null) removeFile(apiCertificatePath(this.components.home.root));
    this.tls = null;
  }

  status(): NodeStatusInfo {
    const { identity, buildInfo, clock } = this.components;
    const running = this.currentState === 'started';
    const apiUrl = this.server ? this.apiUrl : '';
    return {
      nodeId: identity.nodeId,
      name: this.name,
      version: buildInfo.version,
      commit: buildInfo.commit,
      state: this.currentState,
      running,
      pid: process.pid,
      apiUrl,
      uiUrl: apiUrl ? `${apiUrl}/ui/` : '',
      startedAt: new Date(this.startedAtMs).toISOString(),
      uptimeSeconds: running ? Math.max(0, Math.floor((clock.now() - this.startedAtMs) / 1000)) : 0,
      meshes: (this.mesh?.meshes() ?? []).map((m) => ({ id: m.meshId, name: m.name, role: m.role })),
      peers: (this.mesh?.peers() ?? []).map((p) => ({
        nodeId: p.nodeId,
        name: p.name,
        connected: p.connected,
      })),
    };
  }
}

export function createNode(components: NodeComponents, init: NodeInit = {}): AtmosphereNode {
  return new AtmosphereNode(components, init);
}

/** The router's embedder, chosen at start. */
export interface RouterEmbedderChoice {
  readonly embedder: Embedder;
  /** What `routing.embedder` asked for. */
  readonly requested: ResolvedConfig['routing']['embedder'];
  /** Why the built-in embedder is used although Ollama was asked for; null when it was not. */
  readonly fallbackReason: string | null;
}

/**
 * The embedder `routing.embedder` names. For `ollama` it probes `/api/embed` with
 * `routing.ollama_embed_model` (learning the dimensions and loading the model); when Ollama is
 * disabled, unreachable, slow or lacks the model, it logs a warning and returns `builtin`, so the
 * router always works. The choice holds for the node's lifetime: one index, one embedder.
 */
export async function createRouterEmbedder(
  components: { readonly logger: Logger; readonly builtin: Embedder },
  init: { readonly config: ResolvedConfig; readonly ollamaHostEnv?: string },
  options: { signal?: AbortSignal } = {},
): Promise<RouterEmbedderChoice> {
  const { logger, builtin } = components;
  const { routing, integrations } = init.config;
  if (routing.embedder === 'builtin')
    return { embedder: builtin, requested: 'builtin', fallbackReason: null };
  const wanted = `ollama/${routing.ollama_embed_model}`;
  const fallback = (reason: string): RouterEmbedderChoice => {
    logger.warn(
      { requested: wanted, using: builtin.id, reason },
      `routing.embedder is ollama but ${wanted} cannot serve: the router uses the built-in embedder`,
    );
    return { embedder: builtin, requested: 'ollama', fallbackReason: reason };
  };
  if (!integrations.ollama.enabled) return fallback('integrations.ollama.enabled is false');
  const { OllamaEmbedder, resolveOllamaUrl } = await import('../integrations/index.js');
  const embedder = new OllamaEmbedder(
    { logger },
    {
      url: resolveOllamaUrl({
        configUrl: integrations.ollama.url,
        ollamaHostEnv: init.ollamaHostEnv ?? null,
      }),
      model: routing.ollama_embed_model,
    },
  );
  try {
    const probe = await embedder.probe(options);
    logger.info(
      { embedder: embedder.id, model: probe.model, dimensions: probe.dimensions, url: embedder.url },
      'the router embeds with Ollama',
    );
    return { embedder, requested: 'ollama', fallbackReason: null };
  } catch (err) {
    if (options.signal?.aborted === true) throw err;
    return fallback(toAtmosphereError(err).message);
  }
}
