import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TypedEventEmitter } from '@libp2p/interface';
import type { ClientNode, Endpoint, ServerNode } from '@matter/main';
import type { Clock, Logger, Startable } from '../../core/index.js';
import {
  AbortedError,
  InvalidInputError,
  MatterCommandError,
  MatterCommissioningError,
  MatterDeviceNotFoundError,
  MatterDeviceOfflineError,
  MatterDisabledError,
  UnknownToolError,
  toAtmosphereError,
} from '../../core/index.js';
import type { MappedCapability, MatterEndpointInfo, MatterNodeInfo } from './matter-mapping.js';
import { crossedThresholds, mapMatterNode, roomFromLabels } from './matter-mapping.js';
import type { MatterRuntime } from './matter-runtime.js';
import { loadMatterRuntime } from './matter-runtime.js';

export interface MatterBridgeComponents {
  readonly logger: Logger;
  readonly clock: Clock;
}

export interface MatterBridgeInit {
  /** Fabric, credentials, commissioned devices and their cached state (`<home>/matter`). */
  readonly storageDir: string;
  /** Interface for Matter's mDNS (`eth0`, `lo` in a test namespace); null = every interface. */
  readonly networkInterface?: string | null;
  /** Time finding and commissioning one device may take. Default 120 s. */
  readonly commissionTimeoutMs?: number;
  /** Time one command may take before the device counts as offline. Default 10 s. */
  readonly commandTimeoutMs?: number;
  /** Temperature sensors fire `threshold_crossed` when a reading crosses one. Default [16, 26]. */
  readonly temperatureThresholdsCelsius?: readonly number[];
}

export type MatterDeviceState = 'online' | 'offline' | 'connecting';

/** A commissioned device as `atmosphere matter list` shows it. */
export interface MatterDeviceStatus {
  readonly id: string;
  readonly label: string | null;
  readonly room: string | null;
  readonly vendor: string | null;
  readonly product: string | null;
  readonly state: MatterDeviceState;
  /** When the bridge last lost it (null while online or never lost). */
  readonly offlineSinceMs: number | null;
  /** Last time the device answered or reported. */
  readonly lastSeenMs: number | null;
  readonly pairedAtMs: number | null;
  readonly capabilities: readonly {
    readonly id: string;
    readonly type: string;
    readonly endpoint: number;
    readonly tools: readonly string[];
    readonly triggers: readonly string[];
  }[];
}

/** A commissionable device seen on the network (`atmosphere matter discover`). */
export interface DiscoveredMatterDevice {
  readonly name: string | null;
  readonly vendorId: number | null;
  readonly productId: number | null;
  readonly discriminator: number | null;
  readonly deviceType: number | null;
  readonly addresses: readonly string[];
}

/** A trigger a device fired (from its Matter subscription). */
export interface MatterTriggerEvent {
  readonly capability: string;
  readonly trigger: string;
  readonly payload: Record<string, unknown>;
}

export interface MatterBridgeEvents {
  trigger: CustomEvent<MatterTriggerEvent>;
  /** Devices were paired or removed, or a device's structure was read: capabilities changed. */
  'devices:changed': CustomEvent<undefined>;
  'device:state': CustomEvent<{ id: string; state: MatterDeviceState }>;
}

/** What the owner said about a device at pairing, kept beside matter.js' own storage. */
interface DeviceNote {
  label: string | null;
  room: string | null;
  pairedAtMs: number;
}

interface Observable {
  on(observer: (...args: unknown[]) => unknown): void;
  off(observer: (...args: unknown[]) => unknown): void;
}

interface Attached {
  readonly node: ClientNode;
  readonly endpoints: Map<number, Endpoint>;
  mapped: MappedCapability[];
  info: MatterNodeInfo;
  state: MatterDeviceState;
  offlineSinceMs: number | null;
  lastSeenMs: number | null;
  readonly disposers: (() => void)[];
}

const NOTES_FILE = 'atmosphere-devices.json';
const DEFAULT_COMMISSION_TIMEOUT_MS = 120_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
const LOCK_STATES: Readonly<Record<number, string>> = {
  0: 'not_fully_locked',
  1: 'locked',
  2: 'unlocked',
  3: 'unlatched',
};
/** DoorLock alarm codes that mean someone is forcing the lock or door. */
const TAMPER_ALARMS: Readonly<Record<number, string>> = {
  4: 'wrong_code_entry_limit',
  5: 'front_escutcheon_removed',
  6: 'door_forced_open',
  8: 'forced_user',
};
const OTHER_ALARMS: Readonly<Record<number, string>> = {
  0: 'lock_jammed',
  1: 'lock_factory_reset',
  3: 'lock_radio_power_cycled',
  7: 'door_ajar',
};
const SYSTEM_MODES: Readonly<Record<string, number>> = { off: 0, auto: 1, cool: 3, heat: 4 };
const SYSTEM_MODE_NAMES: Readonly<Record<number, string>> = { 0: 'off', 1: 'auto', 3: 'cool', 4: 'heat' };

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function numberOf(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  return null;
}

function numberArg(args: Record<string, unknown>, key: string, min: number, max: number): number {
  const value = args[key];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidInputError(`argument "${key}" must be a number from ${min} to ${max}`, {
      details: { argument: key },
    });
  }
  return value;
}

/**
 * A Matter controller inside the node (matter.js): commissions devices onto its own fabric,
 * keeps them (and the fabric) under `storageDir` across restarts, maps each device to capabilities
 * by device type and clusters, runs their tools as Matter commands and turns the device's
 * subscription (attribute changes and events) into triggers. matter.js reconnects to a device that
 * went away and renews the subscription; the bridge reports the device's state meanwhile.
 */
export class MatterBridge extends TypedEventEmitter<MatterBridgeEvents> implements Startable {
  private readonly c: MatterBridgeComponents;
  private readonly init: MatterBridgeInit;
  private readonly log: Logger;
  private runtime: MatterRuntime | null = null;
  private controller: ServerNode | null = null;
  private readonly attached = new Map<string, Attached>();
  /** The last value each state trigger (lock state, contact, thermostat mode) reported, per device. */
  private readonly lastReported = new Map<string, string>();
  private notes: Record<string, DeviceNote> = {};
  private starting: Promise<void> | null = null;

  constructor(components: MatterBridgeComponents, init: MatterBridgeInit) {
    super();
    this.c = components;
    this.init = init;
    this.log = components.logger;
  }

  get started(): boolean {
    return this.controller !== null;
  }

  async start(): Promise<void> {
    if (this.controller) return;
    this.starting ??= this.doStart().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    mkdirSync(this.init.storageDir, { recursive: true, mode: 0o700 });
    this.notes = this.readNotes();
    const runtime = await loadMatterRuntime(this.log, {
      storagePath: this.init.storageDir,
      networkInterface: this.init.networkInterface ?? null,
    });
    const controller = await runtime.main.ServerNode.create({
      id: 'atmosphere-controller',
      // a controller, not a device: it is never commissionable itself
      commissioning: { enabled: false },
      network: { port: 0 },
    });
    try {
      this.runtime = runtime;
      this.controller = controller;
      for (const node of controller.peers) {
        if (node.lifecycle.isCommissioned) this.attach(node);
      }
      // going online connects to every commissioned device and subscribes (in the background)
      await controller.start();
    } catch (err) {
      this.controller = null;
      this.runtime = null;
      await controller.close().catch(() => undefined);
      throw err;
    }
    this.log.info({ devices: this.attached.size }, 'Matter controller started');
    this.changed();
  }

  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    const controller = this.controller;
    if (!controller) return;
    this.controller = null;
    for (const device of this.attached.values()) this.detach(device);
    this.attached.clear();
    try {
      await controller.close();
    } catch (err) {
      this.log.warn({ err: toAtmosphereError(err).message }, 'Matter controller did not close cleanly');
    }
    this.runtime = null;
  }

  private require(): { controller: ServerNode; runtime: MatterRuntime } {
    if (!this.controller || !this.runtime) throw new MatterDisabledError('the Matter bridge is not running');
    return { controller: this.controller, runtime: this.runtime };
  }

  // ---- owner operations ---------------------------------------------------------------------------

  /** Commissionable devices announcing themselves on the network within `timeoutMs` (default 5 s). */
  async discover(
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<DiscoveredMatterDevice[]> {
    const { controller, runtime } = this.require();
    const discovery = controller.peers.discover({ timeout: runtime.main.Millis(options.timeoutMs ?? 5_000) });
    const onAbort = (): void => {
      discovery.stop();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let found: ClientNode[];
    try {
      found = await discovery;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    const devices: DiscoveredMatterDevice[] = [];
    for (const node of found) {
      if (node.lifecycle.isCommissioned) continue;
      const c = record(record(node.state).commissioning);
      devices.push({
        name: text(c.deviceName),
        vendorId: numberOf(c.vendorId),
        productId: numberOf(c.productId),
        discriminator: numberOf(c.discriminator),
        deviceType: numberOf(c.deviceType),
        addresses: (Array.isArray(c.addresses) ? c.addresses : []).map((a) => {
          const r = record(a);
          return `${text(r.type) ?? 'udp'}://${text(r.ip) ?? '?'}:${numberOf(r.port) ?? '?'}`;
        }),
      });
      // a discovered, uncommissioned peer is not kept in the bridge's storage
      await node.delete().catch(() => undefined);
    }
    return devices;
  }

  /**
   * Commissions the device with this manual pairing code (`3497-011-2332`) or QR payload (`MT:…`)
   * onto the bridge's fabric and maps it. `label` and `room` are the owner's words for it.
   */
  async pair(
    code: string,
    options: { label?: string; room?: string; signal?: AbortSignal } = {},
  ): Promise<MatterDeviceStatus> {
    const { controller, runtime } = this.require();
    const identity = this.parseCode(code, runtime);
    const timeoutMs = this.init.commissionTimeoutMs ?? DEFAULT_COMMISSION_TIMEOUT_MS;
    const signal = options.signal
      ? AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)])
      : AbortSignal.timeout(timeoutMs);
    let node: ClientNode;
    try {
      node = await controller.peers.commission({
        ...identity,
        timeout: runtime.main.Millis(timeoutMs),
        abort: signal,
      });
    } catch (err) {
      if (options.signal?.aborted) throw new AbortedError('pairing was cancelled', { cause: err });
      throw new MatterCommissioningError(
        signal.aborted
          ? `no device with this pairing code was found and commissioned within ${Math.round(timeoutMs / 1000)} s (is it powered, in pairing mode and on this network?)`
          : `commissioning failed: ${(err as Error).message ?? String(err)}`,
        { cause: err },
      );
    }
    this.notes[node.id] = {
      label: options.label?.trim() || null,
      room: options.room?.trim().toLowerCase() || null,
      pairedAtMs: this.c.clock.now(),
    };
    this.writeNotes();
    const device = this.attach(node);
    device.state = 'online';
    device.lastSeenMs = this.c.clock.now();
    this.log.info(
      { device: node.id, capabilities: device.mapped.map((m) => m.capabilityId) },
      'paired a Matter device',
    );
    this.changed();
    return this.statusOf(device);
  }

  /** Every commissioned device with its state and capabilities. */
  devices(): MatterDeviceStatus[] {
    return [...this.attached.values()].map((d) => this.statusOf(d));
  }

  /** Takes the device off the bridge's fabric (telling the device when it answers) and forgets it. */
  async remove(id: string, options: { signal?: AbortSignal } = {}): Promise<{ decommissioned: boolean }> {
    this.require();
    const device = this.attached.get(id);
    if (!device)
      throw new MatterDeviceNotFoundError(`no commissioned Matter device "${id}"`, { details: { id } });
    this.detach(device);
    this.attached.delete(id);
    let decommissioned = false;
    try {
      await this.withTimeout(device, () => device.node.decommission(), options.signal);
      decommissioned = true;
    } catch (err) {
      this.log.warn(
        { device: id, err: toAtmosphereError(err).message },
        'the device did not answer; forgetting it without telling it (factory-reset it to pair again)',
      );
      await device.node.delete().catch(() => undefined);
    }
    delete this.notes[id];
    this.writeNotes();
    this.changed();
    return { decommissioned };
  }

  /** The capabilities of every commissioned device. */
  capabilities(): MappedCapability[] {
    return [...this.attached.values()].flatMap((d) => d.mapped);
  }

  /** Runs one tool of a mapped capability as Matter commands; resolves with the tool's result. */
  async invoke(
    capabilityId: string,
    toolName: string,
    args: Record<string, unknown> = {},
    options: { signal?: AbortSignal } = {},
  ): Promise<Record<string, unknown>> {
    const { runtime } = this.require();
    const found = this.findCapability(capabilityId);
    if (!found)
      throw new MatterDeviceNotFoundError(`no Matter capability "${capabilityId}"`, {
        details: { id: capabilityId },
      });
    const { device, mapped } = found;
    if (!mapped.capability.tools?.some((t) => t.name === toolName)) {
      throw new UnknownToolError(`${capabilityId} has no tool "${toolName}"`, {
        details: { capability: capabilityId, tool: toolName },
      });
    }
    const endpoint = device.endpoints.get(mapped.endpoint);
    if (!endpoint)
      throw new MatterDeviceNotFoundError(`${capabilityId}: endpoint ${mapped.endpoint} is gone`, {
        details: { id: capabilityId },
      });
    return this.withTimeout(
      device,
      () => this.run(runtime, mapped, endpoint, toolName, args),
      options.signal,
    );
  }

  // ---- commands -----------------------------------------------------------------------------------

  private async run(
    rt: MatterRuntime,
    mapped: MappedCapability,
    ep: Endpoint,
    tool: string,
    args: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const state = record(ep.state);
    switch (mapped.kind) {
      case 'light':
      case 'plug':
      case 'switch': {
        const onOff = ep.commandsOf(rt.OnOffClient);
        switch (tool) {
          case 'on':
            await onOff.on();
            return { on: true };
          case 'off':
            await onOff.off();
            return { on: false };
          case 'toggle': {
            const before = record(state.onOff).onOff;
            await onOff.toggle();
            return typeof before === 'boolean' ? { on: !before } : {};
          }
          case 'get_status':
            return { on: record(state.onOff).onOff === true };
          case 'set_brightness': {
            const percent = numberArg(args, 'percent', 0, 100);
            if (percent === 0) {
              await onOff.off();
              return { on: false, percent: 0 };
            }
            const level = Math.min(254, Math.max(1, Math.round((percent / 100) * 254)));
            await ep.commandsOf(rt.LevelControlClient).moveToLevelWithOnOff({
              level,
              transitionTime: 0,
              optionsMask: {},
              optionsOverride: {},
            });
            return { on: true, percent, level };
          }
          case 'set_color': {
            const color = ep.commandsOf(rt.ColorControlClient);
            if (typeof args.kelvin === 'number') {
              const kelvin = numberArg(args, 'kelvin', 1000, 10000);
              await color.moveToColorTemperature({
                colorTemperatureMireds: Math.round(1_000_000 / kelvin),
                transitionTime: 0,
                optionsMask: {},
                optionsOverride: {},
              });
              return { kelvin };
            }
            const hue = numberArg(args, 'hue', 0, 360);
            const saturation = numberArg(args, 'saturation', 0, 100);
            await color.moveToHueAndSaturation({
              hue: Math.min(254, Math.round((hue / 360) * 254)),
              saturation: Math.min(254, Math.round((saturation / 100) * 254)),
              transitionTime: 0,
              optionsMask: {},
              optionsOverride: {},
            });
            return { hue, saturation };
          }
        }
        break;
      }
      case 'lock': {
        const lock = ep.commandsOf(rt.DoorLockClient);
        switch (tool) {
          case 'lock':
            await lock.lockDoor({});
            return { state: 'locked' };
          case 'unlock':
            await lock.unlockDoor({});
            return { state: 'unlocked' };
          case 'get_status': {
            const value = numberOf(record(state.doorLock).lockState);
            return { state: value === null ? 'unknown' : (LOCK_STATES[value] ?? 'unknown') };
          }
        }
        break;
      }
      case 'hvac': {
        const thermostat = record(state.thermostat);
        const mode = numberOf(thermostat.systemMode);
        const cooling = mode === 3;
        const setpoint = numberOf(
          cooling ? thermostat.occupiedCoolingSetpoint : thermostat.occupiedHeatingSetpoint,
        );
        switch (tool) {
          case 'get_temp': {
            const local = numberOf(thermostat.localTemperature);
            return {
              celsius: local === null ? null : local / 100,
              targetCelsius: setpoint === null ? null : setpoint / 100,
              mode: mode === null ? null : (SYSTEM_MODE_NAMES[mode] ?? String(mode)),
            };
          }
          case 'set_temp': {
            const celsius = numberArg(args, 'celsius', 5, 35);
            if (setpoint === null) throw new MatterCommandError(`${mapped.capabilityId} reports no setpoint`);
            // SetpointRaiseLower moves the setpoint in steps of 0.1 °C, at most 12.7 °C per command
            let remaining = Math.round((celsius * 100 - setpoint) / 10);
            const setpointMode = mode === 1 ? 2 : cooling ? 1 : 0;
            while (remaining !== 0) {
              const amount = Math.max(-127, Math.min(127, remaining));
              await ep.commandsOf(rt.ThermostatClient).setpointRaiseLower({ mode: setpointMode, amount });
              remaining -= amount;
            }
            return { targetCelsius: celsius };
          }
          case 'set_mode': {
            const name = typeof args.mode === 'string' ? args.mode : '';
            const value = SYSTEM_MODES[name];
            if (value === undefined)
              throw new InvalidInputError('argument "mode" must be one of off, heat, cool, auto', {
                details: { argument: 'mode' },
              });
            await ep.setStateOf(rt.ThermostatClient, { systemMode: value });
            return { mode: name };
          }
        }
        break;
      }
      case 'contact': {
        const closed = record(state.booleanState).stateValue;
        return { state: closed === true ? 'closed' : closed === false ? 'open' : 'unknown' };
      }
      case 'motion': {
        return { occupied: record(record(state.occupancySensing).occupancy).occupied === true };
      }
      case 'temperature': {
        const value = numberOf(record(state.temperatureMeasurement).measuredValue);
        return { celsius: value === null ? null : value / 100 };
      }
    }
    throw new UnknownToolError(`${mapped.capabilityId} has no tool "${tool}"`, {
      details: { capability: mapped.capabilityId, tool },
    });
  }

  /** Runs `fn` against a device, bounded by `commandTimeoutMs`; a device that does not answer is offline. */
  private async withTimeout<T>(device: Attached, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const timeoutMs = this.init.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    signal?.throwIfAborted();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const bounded = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new MatterDeviceOfflineError(
            `Matter device ${device.info.label ?? device.node.id} did not answer within ${timeoutMs / 1000} s: it is offline (the bridge keeps trying to reconnect)`,
            {
              details: {
                device: device.node.id,
                offlineSinceMs: device.offlineSinceMs ?? this.c.clock.now(),
              },
            },
          ),
        );
      }, timeoutMs);
      onAbort = () => {
        reject(new AbortedError('the device command was cancelled'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const result = await Promise.race([fn(), bounded]);
      this.seen(device);
      return result;
    } catch (err) {
      if (err instanceof MatterDeviceOfflineError) this.setState(device, 'offline');
      if (
        err instanceof InvalidInputError ||
        err instanceof AbortedError ||
        err instanceof MatterDeviceOfflineError
      )
        throw err;
      if (err instanceof UnknownToolError || err instanceof MatterCommandError) throw err;
      throw new MatterCommandError(
        `Matter command to ${device.info.label ?? device.node.id} failed: ${(err as Error).message ?? String(err)}`,
        { cause: err, details: { device: device.node.id } },
      );
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  // ---- devices: structure, state and subscriptions ----------------------------------------------

  private parseCode(
    code: string,
    rt: MatterRuntime,
  ): { pairingCode: string } | { passcode: number; discriminator: number } {
    const trimmed = code.trim();
    try {
      if (/^MT:/i.test(trimmed)) {
        const [first] = rt.types.QrPairingCodeCodec.decode(trimmed.toUpperCase());
        if (!first) throw new Error('empty QR payload');
        return { passcode: first.passcode, discriminator: first.discriminator };
      }
      const digits = trimmed.replace(/[\s-]/g, '');
      if (!/^\d{11}$|^\d{21}$/.test(digits)) throw new Error('expected 11 or 21 digits');
      rt.types.ManualPairingCodeCodec.decode(digits);
      return { pairingCode: digits };
    } catch (err) {
      throw new InvalidInputError(
        `"${code}" is not a Matter pairing code: give the 11-digit manual code (e.g. 3497-011-2332) or the QR payload (MT:…): ${(err as Error).message}`,
        { details: { argument: 'code' } },
      );
    }
  }

  private findCapability(id: string): { device: Attached; mapped: MappedCapability } | null {
    for (const device of this.attached.values()) {
      const mapped = device.mapped.find((m) => m.capabilityId === id);
      if (mapped) return { device, mapped };
    }
    return null;
  }

  private readInfo(node: ClientNode): { info: MatterNodeInfo; endpoints: Map<number, Endpoint> } {
    const root = record(node.state);
    const basic = record(root.basicInformation);
    const note = this.notes[node.id];
    const endpoints = new Map<number, Endpoint>();
    const infos: MatterEndpointInfo[] = [];
    const labels: { label: string; value: string }[] = [];
    const walk = (parts: Iterable<Endpoint>): void => {
      for (const ep of parts) {
        const state = record(ep.state);
        const descriptor = record(state.descriptor);
        const deviceTypes = (Array.isArray(descriptor.deviceTypeList) ? descriptor.deviceTypeList : [])
          .map((d) => numberOf(record(d).deviceType))
          .filter((n): n is number => n !== null);
        const clusters = (Array.isArray(descriptor.serverList) ? descriptor.serverList : [])
          .map(numberOf)
          .filter((n): n is number => n !== null);
        for (const key of ['fixedLabel', 'userLabel']) {
          const list = record(state[key]).labelList;
          if (Array.isArray(list))
            for (const l of list)
              labels.push({ label: text(record(l).label) ?? '', value: text(record(l).value) ?? '' });
        }
        const number = ep.number;
        if (typeof number === 'number') {
          endpoints.set(number, ep);
          infos.push({ endpoint: number, deviceTypes, clusters });
        }
        walk(ep.parts);
      }
    };
    walk(node.parts);
    return {
      endpoints,
      info: {
        deviceId: node.id,
        vendor: text(basic.vendorName),
        product: text(basic.productName),
        label: note?.label ?? text(basic.nodeLabel) ?? text(basic.productLabel),
        room: note?.room ?? roomFromLabels(labels),
        endpoints: infos,
      },
    };
  }

  private attach(node: ClientNode): Attached {
    const existing = this.attached.get(node.id);
    if (existing) this.detach(existing);
    const { info, endpoints } = this.readInfo(node);
    const device: Attached = {
      node,
      endpoints,
      info,
      mapped: mapMatterNode(info),
      state: 'connecting',
      offlineSinceMs: null,
      lastSeenMs: null,
      disposers: [],
    };
    this.attached.set(node.id, device);
    const network = record(record(node.events).network);
    this.observe(device, network.subscriptionStatusChanged, (active) => {
      this.setState(device, active === true ? 'online' : 'offline');
    });
    for (const mapped of device.mapped) {
      const ep = endpoints.get(mapped.endpoint);
      if (ep) this.subscribe(device, mapped, ep);
    }
    // the structure arrives (or changes) with the first subscription report of a new device
    this.observe(device, record(record(node.events).descriptor).partsList$Changed, () => {
      this.restructure(device);
    });
    return device;
  }

  private restructure(device: Attached): void {
    if (this.attached.get(device.node.id) !== device) return;
    const before = device.mapped.map((m) => m.capabilityId).join(',');
    const next = this.attach(device.node);
    next.state = device.state;
    next.offlineSinceMs = device.offlineSinceMs;
    next.lastSeenMs = device.lastSeenMs;
    if (next.mapped.map((m) => m.capabilityId).join(',') !== before) this.changed();
  }

  private detach(device: Attached): void {
    for (const dispose of device.disposers.splice(0)) dispose();
  }

  private observe(device: Attached, observable: unknown, fn: (...args: unknown[]) => void): void {
    const o = observable as Partial<Observable> | undefined;
    if (typeof o?.on !== 'function' || typeof o.off !== 'function') return;
    const observer = (...args: unknown[]): void => {
      try {
        fn(...args);
      } catch (err) {
        this.log.warn(
          { device: device.node.id, err: toAtmosphereError(err).message },
          'Matter event handler failed',
        );
      }
    };
    o.on(observer);
    device.disposers.push(() => {
      o.off?.(observer);
    });
  }

  private subscribe(device: Attached, mapped: MappedCapability, ep: Endpoint): void {
    const events = record(ep.events);
    const on = (cluster: string, name: string, fn: (...args: unknown[]) => void): void => {
      this.observe(device, record(events[cluster])[name], (...args) => {
        this.seen(device);
        fn(...args);
      });
    };
    const fire = (trigger: string, payload: Record<string, unknown>): void => {
      this.dispatchEvent(
        new CustomEvent('trigger', {
          detail: {
            capability: mapped.capabilityId,
            trigger,
            payload: { device: device.node.id, ...payload },
          },
        }),
      );
    };
    // A state trigger fires when the state differs from the last one reported for it: matter.js can
    // report the same value twice (the write's own update, then the subscription's report).
    const fireOnChange = (
      what: string,
      value: string,
      trigger: string,
      payload: Record<string, unknown>,
    ): void => {
      const key = `${device.node.id}\u0000${mapped.capabilityId}\u0000${what}`;
      if (this.lastReported.get(key) === value) return;
      this.lastReported.set(key, value);
      fire(trigger, payload);
    };
    switch (mapped.kind) {
      case 'lock':
        on('doorLock', 'lockState$Changed', (value) => {
          const state = numberOf(value);
          if (state === 1) fireOnChange('lockState', 'locked', 'locked', { state: 'locked' });
          else if (state === 2) fireOnChange('lockState', 'unlocked', 'unlocked', { state: 'unlocked' });
        });
        on('doorLock', 'doorLockAlarm', (payload) => {
          const code = numberOf(record(payload).alarmCode);
          if (code === null) return;
          const tamper = TAMPER_ALARMS[code];
          if (tamper) fire('tamper', { alarm: tamper, alarmCode: code });
          else fire('alarm', { alarm: OTHER_ALARMS[code] ?? `alarm_${code}`, alarmCode: code });
        });
        break;
      case 'contact':
        on('booleanState', 'stateValue$Changed', (value) => {
          if (value === true) fireOnChange('contact', 'closed', 'closed', { state: 'closed' });
          else if (value === false) fireOnChange('contact', 'open', 'opened', { state: 'open' });
        });
        break;
      case 'motion':
        on('occupancySensing', 'occupancy$Changed', (value) => {
          if (record(value).occupied === true) fire('motion_detected', { occupied: true });
        });
        break;
      case 'temperature': {
        const thresholds = this.init.temperatureThresholdsCelsius ?? [16, 26];
        on('temperatureMeasurement', 'measuredValue$Changed', (value, old) => {
          const now = numberOf(value);
          const before = numberOf(old);
          if (now === null) return;
          for (const crossing of crossedThresholds(
            before === null ? null : before / 100,
            now / 100,
            thresholds,
          ))
            fire('threshold_crossed', { celsius: now / 100, ...crossing });
        });
        break;
      }
      case 'hvac':
        on('thermostat', 'systemMode$Changed', (value) => {
          const mode = numberOf(value);
          const name = mode === null ? null : (SYSTEM_MODE_NAMES[mode] ?? String(mode));
          fireOnChange('systemMode', String(name), 'mode_changed', { mode: name });
        });
        on('thermostat', 'localTemperature$Changed', (value, old) => {
          const thermostat = record(record(ep.state).thermostat);
          const target = numberOf(
            numberOf(thermostat.systemMode) === 3
              ? thermostat.occupiedCoolingSetpoint
              : thermostat.occupiedHeatingSetpoint,
          );
          const now = numberOf(value);
          const before = numberOf(old);
          if (target === null || now === null || before === null) return;
          if (crossedThresholds(before, now, [target]).length > 0)
            fire('temp_reached', { celsius: now / 100, targetCelsius: target / 100 });
        });
        break;
      case 'switch':
        on('switch', 'initialPress', (payload) => {
          fire('pressed', { position: numberOf(record(payload).newPosition) });
        });
        break;
      case 'light':
      case 'plug':
        break;
    }
  }

  private seen(device: Attached): void {
    device.lastSeenMs = this.c.clock.now();
    this.setState(device, 'online');
  }

  private setState(device: Attached, state: MatterDeviceState): void {
    if (device.state === state) return;
    if (state === 'offline') device.offlineSinceMs = this.c.clock.now();
    if (state === 'online') device.offlineSinceMs = null;
    device.state = state;
    this.log.info({ device: device.node.id, state }, `Matter device ${state}`);
    this.dispatchEvent(new CustomEvent('device:state', { detail: { id: device.node.id, state } }));
  }

  private statusOf(device: Attached): MatterDeviceStatus {
    return {
      id: device.node.id,
      label: device.info.label,
      room: device.info.room,
      vendor: device.info.vendor,
      product: device.info.product,
      state: device.state,
      offlineSinceMs: device.offlineSinceMs,
      lastSeenMs: device.lastSeenMs,
      pairedAtMs: this.notes[device.node.id]?.pairedAtMs ?? null,
      capabilities: device.mapped.map((m) => ({
        id: m.capabilityId,
        type: m.capability.type,
        endpoint: m.endpoint,
        tools: (m.capability.tools ?? []).map((t) => t.name),
        triggers: (m.capability.triggers ?? []).map((t) => t.name),
      })),
    };
  }

  private changed(): void {
    this.dispatchEvent(new CustomEvent('devices:changed', { detail: undefined }));
  }

  private readNotes(): Record<string, DeviceNote> {
    try {
      const parsed = JSON.parse(readFileSync(join(this.init.storageDir, NOTES_FILE), 'utf8')) as unknown;
      return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, DeviceNote>) : {};
    } catch {
      return {};
    }
  }

  private writeNotes(): void {
    const path = join(this.init.storageDir, NOTES_FILE);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.notes, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, path);
  }
}
