/**
 * The Matter bridge as the node uses it: started only when `matter.enabled` (matter.js is loaded by
 * the bridge's start, so a node without Matter never imports it), its devices turned into this
 * node's capabilities, its tools offered to the gateway, its device events fired as triggers, and
 * its owner operations offered to the API (which answer `matter_disabled` when it is off).
 */
import { join } from 'node:path';
import type { HomePaths } from '../client/index.js';
import type { Capability, Clock, Logger, ResolvedConfig } from '../core/index.js';
import {
  MatterDisabledError,
  TriggerThrottledError,
  parseCapability,
  toAtmosphereError,
} from '../core/index.js';
import type { MatterBridge, MatterTriggerEvent } from '../integrations/index.js';
import type { DeviceTools } from './mesh-gateway.js';

export interface MatterWiringComponents {
  readonly logger: Logger;
  readonly clock: Clock;
}

export interface MatterWiringInit {
  readonly config: ResolvedConfig['matter'];
  readonly home: HomePaths;
  readonly nodeId: string;
}

/** Where the node's trigger events go (its `TriggerService`). */
export interface MatterTriggerSink {
  fire(input: { capability: string; trigger: string; payload?: unknown }): Promise<unknown>;
}

/** Told when device capabilities change (the node's `CapabilityService`). */
export interface MatterCapabilitySink {
  devicesChanged(): Promise<void>;
}

/** The bridge's owner operations for the API; every one throws `matter_disabled` when Matter is off. */
export interface MatterOwnerControl {
  enabled(): boolean;
  discover(options: { timeoutMs?: number; signal?: AbortSignal }): Promise<readonly unknown[]>;
  pair(code: string, options: { label?: string; room?: string; signal?: AbortSignal }): Promise<unknown>;
  devices(): readonly unknown[];
  remove(id: string, options: { signal?: AbortSignal }): Promise<{ decommissioned: boolean }>;
}

/** The directory that holds the Matter fabric and devices: `<home>/matter`. */
export function matterStorageDir(home: HomePaths): string {
  return join(home.root, 'matter');
}

export class MatterWiring {
  private readonly c: MatterWiringComponents;
  private readonly init: MatterWiringInit;
  private bridge: MatterBridge | null = null;
  private cached: Capability[] = [];
  private readonly cleanups: (() => void)[] = [];

  constructor(components: MatterWiringComponents, init: MatterWiringInit) {
    this.c = components;
    this.init = init;
  }

  /** Starts the bridge when `matter.enabled`; does nothing (and loads nothing) otherwise. */
  async start(): Promise<void> {
    if (!this.init.config.enabled || this.bridge) return;
    const { MatterBridge } = await import('../integrations/index.js');
    const { config } = this.init;
    const bridge = new MatterBridge(
      { logger: this.c.logger, clock: this.c.clock },
      {
        storageDir: matterStorageDir(this.init.home),
        networkInterface: config.network_interface,
        commissionTimeoutMs: config.commission_timeout_seconds * 1000,
        commandTimeoutMs: config.command_timeout_seconds * 1000,
        temperatureThresholdsCelsius: config.temperature_thresholds_celsius,
      },
    );
    await bridge.start();
    this.bridge = bridge;
    this.refresh();
  }

  async stop(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    const bridge = this.bridge;
    this.bridge = null;
    this.cached = [];
    await bridge?.stop();
  }

  /** Sends device triggers to `triggers` and capability changes to `capabilities`. */
  connect(sinks: { triggers: MatterTriggerSink; capabilities: MatterCapabilitySink }): void {
    const bridge = this.bridge;
    if (!bridge) return;
    const log = this.c.logger;
    const onTrigger = (event: CustomEvent<MatterTriggerEvent>): void => {
      const { capability, trigger, payload } = event.detail;
      sinks.triggers.fire({ capability, trigger, payload }).catch((err: unknown) => {
        const e = toAtmosphereError(err);
        if (e instanceof TriggerThrottledError) log.debug({ capability, trigger }, e.message);
        else log.warn({ capability, trigger, err: e.message }, 'could not fire a Matter trigger');
      });
    };
    const onChanged = (): void => {
      this.refresh();
      sinks.capabilities.devicesChanged().catch((err: unknown) => {
        log.warn({ err: toAtmosphereError(err).message }, 'could not re-announce Matter devices');
      });
    };
    bridge.addEventListener('trigger', onTrigger);
    bridge.addEventListener('devices:changed', onChanged);
    this.cleanups.push(() => {
      bridge.removeEventListener('trigger', onTrigger);
      bridge.removeEventListener('devices:changed', onChanged);
    });
  }

  /** This node's device capabilities (validated like any capability). */
  capabilities(): readonly Capability[] {
    return this.cached;
  }

  private refresh(): void {
    const bridge = this.bridge;
    if (!bridge) {
      this.cached = [];
      return;
    }
    const list: Capability[] = [];
    for (const mapped of bridge.capabilities()) {
      try {
        list.push(parseCapability(mapped.capability, { nodeId: this.init.nodeId }));
      } catch (err) {
        this.c.logger.warn(
          { capability: mapped.capabilityId, err: toAtmosphereError(err).message },
          'skipped a Matter capability',
        );
      }
    }
    this.cached = list;
  }

  /** The gateway's way to run device tools; absent when Matter is off. */
  tools(): DeviceTools | undefined {
    if (!this.bridge) return undefined;
    return {
      invoke: (capabilityId, tool, args, options) => {
        const bridge = this.bridge;
        if (!bridge) return Promise.reject(disabled());
        return bridge.invoke(capabilityId, tool, args, options);
      },
    };
  }

  owner(): MatterOwnerControl {
    const need = (): MatterBridge => {
      if (!this.bridge) throw disabled();
      return this.bridge;
    };
    return {
      enabled: () => this.bridge !== null,
      discover: (options) => need().discover(options),
      pair: (code, options) => need().pair(code, options),
      devices: () => need().devices(),
      remove: (id, options) => need().remove(id, options),
    };
  }
}

function disabled(): MatterDisabledError {
  return new MatterDisabledError(
    'Matter is off on this node: set `matter.enabled: true` in config.yaml (atmosphere config set matter.enabled true) and restart it',
  );
}
