/**
 * The approval the Discover page edits, planned exactly as `atmosphere approve` plans it: the same
 * pure module (src/cli/commands/approve-plan.ts) turns the owner's choices into the smallest edit of
 * the `expose:` section, keeping the owner's own globs, so the panel and the CLI write the same file.
 */
import type {
  ApprovalChoices,
  ExposurePlan,
  ExposureSummary,
  MatterDeviceInfo,
} from '../../src/cli/commands/approve-plan.js';
import {
  currentChoices,
  decideCandidate,
  planExposure,
  recommendedChoices,
  summarizePlan,
  switchedOn,
  targetOf,
} from '../../src/cli/commands/approve-plan.js';
import type { CandidateCapability, GpuPurpose, ResolvedConfig, ScanReport } from '../../src/core/index.js';
import { GPU_PURPOSES, gpuPurposes, gpuSettingOf } from '../../src/core/index.js';
import type { AccessSection, ExposeSection, LimitsSection } from './types.js';

export type { ApprovalChoices, ExposurePlan, ExposureSummary, MatterDeviceInfo };
export {
  candidateLabel,
  matterDeviceLabel,
  microphoneLabel,
  parseMatterDevices,
  targetOf,
  withMatterCandidates,
} from '../../src/cli/commands/approve-plan.js';
export { matterDeviceExposed } from '../../src/cli/commands/approve-items.js';

export type HardwareKey = 'gpu' | 'camera' | 'microphone' | 'speaker' | 'location' | 'screen';

/** The sections the planner reads; the rest of the config plays no part in exposure. */
export interface ExposureSections {
  readonly expose: ExposeSection;
  readonly limits: LimitsSection;
  readonly access: AccessSection;
}

function asConfig(sections: ExposureSections): ResolvedConfig {
  // approve-plan reads only `expose`, `access` and `limits.max_vram_percent` of the config
  return sections as unknown as ResolvedConfig;
}

export function choicesInEffect(sections: ExposureSections, scan: ScanReport | null): ApprovalChoices {
  return currentChoices(asConfig(sections), scan);
}

export function choicesRecommended(sections: ExposureSections, scan: ScanReport | null): ApprovalChoices {
  return recommendedChoices(asConfig(sections), scan);
}

export interface PlannedApproval {
  readonly plan: ExposurePlan;
  readonly summary: ExposureSummary;
}

export function planApproval(
  sections: ExposureSections,
  scan: ScanReport | null,
  choices: ApprovalChoices,
): PlannedApproval {
  const config = asConfig(sections);
  const plan = planExposure({ config, fileInput: {}, scan, choices });
  return { plan, summary: summarizePlan(config, plan, scan) };
}

/**
 * Turns a Matter device on or off: all its capabilities, as the device's toggle in
 * `atmosphere approve` does (the scan must include them, see `withMatterCandidates`).
 */
export function withMatterDevice(
  choices: ApprovalChoices,
  device: MatterDeviceInfo,
  exposed: boolean,
): ApprovalChoices {
  const candidates = { ...choices.candidates };
  for (const c of device.capabilities) candidates[c.id] = exposed;
  return { ...choices, candidates };
}

/** Turns one candidate on or off. */
export function withCandidate(choices: ApprovalChoices, id: string, exposed: boolean): ApprovalChoices {
  return { ...choices, candidates: { ...choices.candidates, [id]: exposed } };
}

/**
 * Sets a hardware switch; the devices of that kind the scan found follow it (as in the CLI's
 * checklist, a device follows its kind's switch when the owner changes it).
 */
export function withHardware<K extends HardwareKey>(
  choices: ApprovalChoices,
  scan: ScanReport | null,
  key: K,
  value: ApprovalChoices['hardware'][K],
): ApprovalChoices {
  const hardware = { ...choices.hardware, [key]: value };
  const candidates = { ...choices.candidates };
  for (const c of scan?.candidates ?? []) {
    if (targetOf(c.id).hardware === key) candidates[c.id] = switchedOn(hardware, key);
  }
  return { ...choices, hardware, candidates };
}

/** Sets one GPU purpose (inference, training, image generation). */
export function withGpuPurpose(
  choices: ApprovalChoices,
  scan: ScanReport | null,
  purpose: GpuPurpose,
  on: boolean,
): ApprovalChoices {
  const purposes = { ...gpuPurposes(choices.hardware.gpu), [purpose]: on };
  return withHardware(choices, scan, 'gpu', gpuSettingOf(purposes));
}

export function gpuPurposeOn(choices: ApprovalChoices, purpose: GpuPurpose): boolean {
  return gpuPurposes(choices.hardware.gpu)[purpose];
}

export { GPU_PURPOSES };

export type CandidateGroup = 'gpu' | 'ollama' | 'llamafarm' | 'files' | 'other' | 'devices';

/** Which group of the page a candidate is shown in (the seed 1.2 mock's grouping). */
export function groupOf(candidate: Pick<CandidateCapability, 'id'>): CandidateGroup {
  const target = targetOf(candidate.id);
  if (target.hardware === 'gpu') return 'gpu';
  if (target.hardware !== null) return 'devices';
  if (target.kind === 'served-model') return target.list === 'llamafarm' ? 'llamafarm' : 'ollama';
  if (target.kind === 'model-file') return 'files';
  return 'other';
}

/** Whether the rules expose a capability, and the config key that decided (as the node decides). */
export function decide(
  sections: ExposureSections,
  capability: { readonly id: string; readonly type: string },
): { exposed: boolean; rule: string } {
  return decideCandidate(asConfig(sections), capability);
}

/**
 * The `expose` section after turning one capability on or off, edited as `atmosphere approve`
 * would (an exact entry added or removed; a glob kept, with an exact deny beside it).
 */
export function exposeWith(
  sections: ExposureSections,
  capabilities: readonly { readonly id: string; readonly type: string }[],
  id: string,
  exposed: boolean,
): ExposurePlan['expose'] {
  const scan = {
    candidates: capabilities.map((c) => ({ id: c.id, type: c.type, name: c.id, recommended: false })),
  } as unknown as ScanReport; // the planner reads only the candidates' ids and types
  const choices = withCandidate(currentChoices(asConfig(sections), scan), id, exposed);
  return planApproval(sections, scan, choices).plan.expose;
}
