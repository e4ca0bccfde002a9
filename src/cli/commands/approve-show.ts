/**
 * `atmosphere approve --show`: the exposure in effect — every candidate of the stored scan, exposed
 * or private and the config key that decided (and whether that key is set or is a default), the
 * hardware switches (the GPU with what it is exposed for), the Matter devices the running node has
 * commissioned (or, in one line, why they are not listed), the `expose` rules, limits and access.
 * Pure: config, scan and Matter devices in, report out.
 */
import type { GpuPurposes, ResolvedConfig, ScanReport } from '../../core/index.js';
import { gpuPurposes } from '../../core/index.js';
import { formatTable } from '../output.js';
import type { HardwareKey, HardwareSettings, MatterDeviceInfo } from './approve-plan.js';
import {
  HARDWARE_KEYS,
  decideCandidate,
  matterCandidates,
  matterDeviceLabel,
  gpuPurposesText,
  isExplicitKey,
  microphoneLabel,
  switchedOn,
  targetOf,
} from './approve-plan.js';

export interface CandidateExposure {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly exposed: boolean;
  /** The config key that decided. */
  readonly rule: string;
  /** False when that key is not in the file or the environment (its default decided). */
  readonly explicit: boolean;
  readonly recommended: boolean;
  readonly reason: string;
}

export interface HardwareExposure {
  readonly key: HardwareKey;
  /** As configured: a boolean, a microphone mode, or the GPU's purposes object. */
  readonly setting: HardwareSettings[HardwareKey];
  readonly exposed: boolean;
  /** For the GPU: what mesh work may use it for, each purpose on or off; null for the rest. */
  readonly purposes: GpuPurposes | null;
  readonly explicit: boolean;
  /** Devices of this kind in the scan (`camera/video0` ...). */
  readonly devices: readonly string[];
}

/** The Matter devices of the running node, or why there are none to show. */
export type MatterListing =
  | { readonly available: true; readonly devices: readonly MatterDeviceInfo[] }
  | { readonly available: false; readonly reason: string };

export interface MatterDeviceExposure {
  readonly id: string;
  readonly label: string;
  readonly capabilities: readonly {
    readonly id: string;
    readonly type: string;
    readonly exposed: boolean;
    readonly rule: string;
    readonly explicit: boolean;
  }[];
}

export interface MatterExposure {
  /** False when the node is not running or its Matter bridge is off. */
  readonly available: boolean;
  /** Why the devices are not listed; null when they are. */
  readonly reason: string | null;
  readonly devices: readonly MatterDeviceExposure[];
}

export interface ExposureReport {
  readonly configPath: string;
  readonly scan: { readonly scannedAtMs: number; readonly hostname: string } | null;
  readonly candidates: readonly CandidateExposure[];
  readonly hardware: readonly HardwareExposure[];
  readonly matter: MatterExposure;
  readonly expose: ResolvedConfig['expose'];
  readonly limits: ResolvedConfig['limits'];
  readonly access: ResolvedConfig['access'];
}

export function exposureReport(input: {
  readonly config: ResolvedConfig;
  readonly scan: ScanReport | null;
  /** The file's and the environment's own contents: which keys the owner set. */
  readonly explicitLayers: readonly unknown[];
  readonly configPath: string;
  /** The running node's Matter devices; absent: not asked for. */
  readonly matter?: MatterListing;
}): ExposureReport {
  const { config, scan, explicitLayers } = input;
  const candidates = (scan?.candidates ?? []).map((c): CandidateExposure => {
    const decision = decideCandidate(config, c);
    return {
      id: c.id,
      type: c.type,
      name: c.name,
      exposed: decision.exposed,
      rule: decision.rule,
      explicit: isExplicitKey(decision.rule, explicitLayers),
      recommended: c.recommended,
      reason: c.reason,
    };
  });
  const hardware = HARDWARE_KEYS.map((key): HardwareExposure => {
    const setting = config.expose.hardware[key];
    return {
      key,
      setting,
      exposed: switchedOn(config.expose.hardware, key),
      purposes: key === 'gpu' ? gpuPurposes(config.expose.hardware.gpu) : null,
      explicit: isExplicitKey(`expose.hardware.${key}`, explicitLayers),
      devices: (scan?.candidates ?? []).filter((c) => targetOf(c.id).hardware === key).map((c) => c.id),
    };
  });
  const listing = input.matter ?? { available: false, reason: 'not asked for' };
  const matter: MatterExposure = listing.available
    ? {
        available: true,
        reason: null,
        devices: listing.devices.map((d) => ({
          id: d.id,
          label: matterDeviceLabel(d),
          capabilities: matterCandidates([d]).map((c) => {
            const decision = decideCandidate(config, c);
            return {
              id: c.id,
              type: c.type,
              exposed: decision.exposed,
              rule: decision.rule,
              explicit: isExplicitKey(decision.rule, explicitLayers),
            };
          }),
        })),
      }
    : { available: false, reason: listing.reason, devices: [] };
  return {
    configPath: input.configPath,
    scan: scan === null ? null : { scannedAtMs: scan.scannedAtMs, hostname: scan.hostname },
    candidates,
    hardware,
    matter,
    expose: config.expose,
    limits: config.limits,
    access: config.access,
  };
}

const globs = (list: readonly string[]): string => (list.length === 0 ? '(none)' : list.join(', '));

function hardwareWords(h: HardwareExposure, maxVramPercent: number, scanned: boolean): string {
  let words =
    h.key === 'microphone'
      ? microphoneLabel(h.setting as HardwareSettings['microphone'])
      : h.exposed
        ? 'on'
        : 'off';
  if (h.key === 'gpu' && h.exposed) {
    words += ` for ${gpuPurposesText(h.setting as HardwareSettings['gpu'])} (mesh work up to ${maxVramPercent}% of VRAM)`;
  }
  return `${h.key}: ${words}${h.explicit ? '' : ' (default)'}${scanned && h.devices.length === 0 && h.key !== 'location' && h.key !== 'screen' ? ' · none detected' : ''}`;
}

/** The report as lines for a person. */
export function formatExposureReport(report: ExposureReport): string[] {
  const lines: string[] = [];
  const when =
    report.scan === null
      ? 'no scan stored'
      : `scan of ${new Date(report.scan.scannedAtMs).toISOString().replace('T', ' ').slice(0, 16)} UTC on ${report.scan.hostname}`;
  lines.push(`Exposure in effect (${report.configPath}; ${when})`, '');
  if (report.scan === null) {
    lines.push(
      'No scan stored yet, so only the rules are shown: run `atmosphere scan` or `atmosphere approve` to see each capability.',
    );
  } else if (report.candidates.length === 0) {
    lines.push('The last scan found nothing to offer.');
  } else {
    const exposed = report.candidates.filter((c) => c.exposed).length;
    lines.push(`Capabilities (${exposed} of ${report.candidates.length} exposed):`);
    const table = formatTable(
      ['STATE', 'CAPABILITY', 'DECIDED BY'],
      report.candidates.map((c) => [
        c.exposed ? 'exposed' : 'private',
        c.id,
        `${c.rule}${c.explicit ? '' : ' (default)'}`,
      ]),
    );
    lines.push(...table.split('\n').map((l) => `  ${l}`));
  }
  lines.push('', 'Hardware:');
  for (const h of report.hardware)
    lines.push(`  ${hardwareWords(h, report.limits.max_vram_percent, report.scan !== null)}`);
  lines.push('', ...matterLines(report.matter));
  const { expose, limits, access } = report;
  lines.push(
    '',
    'Rules (expose):',
    `  models.ollama: ${globs(expose.models.ollama)}`,
    `  models.llamafarm: ${globs(expose.models.llamafarm)}`,
    `  models.huggingface: ${globs(expose.models.huggingface)}`,
    `  models.cloud: ${globs(expose.models.cloud)}`,
    `  services: ${
      Object.entries(expose.services)
        .map(([name, on]) => `${name} ${on ? 'on' : 'off'}`)
        .join(', ') || '(none)'
    }`,
    `  capabilities.allow: ${globs(expose.capabilities.allow)}`,
    `  capabilities.deny: ${globs(expose.capabilities.deny)}`,
    '',
    `Limits: max_concurrent ${limits.max_concurrent} · max_queue ${limits.max_queue} · max_vram_percent ${limits.max_vram_percent} · off_battery_only ${limits.off_battery_only}`,
    `Access: mesh_ids ${globs(access.mesh_ids)} · require_auth ${access.require_auth} · log_all_requests ${access.log_all_requests} · audit_retention_days ${access.audit_retention_days}`,
  );
  return lines;
}

/** The Matter devices' capabilities as a table, or one line saying why there are none. */
function matterLines(matter: MatterExposure): string[] {
  if (!matter.available) return [`Matter devices: not listed, ${matter.reason ?? 'unknown why'}`];
  const rows = matter.devices.flatMap((d) =>
    d.capabilities.map((c) => [
      c.exposed ? 'exposed' : 'private',
      c.id,
      d.label,
      `${c.rule}${c.explicit ? '' : ' (default)'}`,
    ]),
  );
  if (rows.length === 0) return ['Matter devices: none commissioned on this node'];
  const exposed = rows.filter((r) => r[0] === 'exposed').length;
  const table = formatTable(['STATE', 'CAPABILITY', 'DEVICE', 'DECIDED BY'], rows);
  return [
    `Matter devices (${exposed} of ${rows.length} capabilities exposed):`,
    ...table.split('\n').map((l) => `  ${l}`),
  ];
}
