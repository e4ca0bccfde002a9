/**
 * The owner's exposure rules (config `expose` and `access`, seed Part 7) applied to one capability:
 * may a peer in these meshes use it? Pure, so the same decision is made where work executes, when
 * the node announces, and in tests. Issue-level detail (modes such as `whisper_only`, limits) grows here.
 */
import type { Capability } from './capability.js';
import type { ResolvedConfig } from './config-schema.js';
import { matchesAnyGlob } from './glob.js';

export interface ExposureDecision {
  readonly exposed: boolean;
  /** The config key that decided (`expose.models.ollama`, `access.mesh_ids` ...). */
  readonly rule: string;
}

type ExposureConfig = Pick<ResolvedConfig, 'expose' | 'access'>;

/** Whether the owner lets the mesh use `capability` at all (before asking which mesh). */
export function capabilityExposure(config: ExposureConfig, capability: Capability): ExposureDecision {
  const { expose } = config;
  if (matchesAnyGlob(capability.id, expose.capabilities.deny))
    return { exposed: false, rule: 'expose.capabilities.deny' };
  if (matchesAnyGlob(capability.id, expose.capabilities.allow))
    return { exposed: true, rule: 'expose.capabilities.allow' };
  const backend = capability.metadata.backend;
  const provider = typeof capability.metadata.provider === 'string' ? capability.metadata.provider : null;
  const model = typeof capability.metadata.model === 'string' ? capability.metadata.model : capability.id;
  if (provider !== null && expose.services[provider] === false) {
    return { exposed: false, rule: `expose.services.${provider}` };
  }
  switch (backend) {
    case 'ollama':
      return { exposed: matchesAnyGlob(model, expose.models.ollama), rule: 'expose.models.ollama' };
    case 'llamafarm':
      return { exposed: matchesAnyGlob(model, expose.models.llamafarm), rule: 'expose.models.llamafarm' };
    case 'openai-compatible':
      return {
        exposed:
          matchesAnyGlob(model, expose.models.cloud) || matchesAnyGlob(capability.id, expose.models.cloud),
        rule: 'expose.models.cloud',
      };
    default:
      // Anything else (devices, sensors ...) is private until the owner approves it.
      return { exposed: false, rule: 'expose.capabilities.allow' };
  }
}

/** Whether a peer that shares `meshIds` with this node may use `capability`. */
export function exposedToMeshes(
  config: ExposureConfig,
  capability: Capability,
  meshIds: readonly string[],
): ExposureDecision {
  const base = capabilityExposure(config, capability);
  if (!base.exposed) return base;
  if (!meshIds.some((id) => matchesAnyGlob(id, config.access.mesh_ids))) {
    return { exposed: false, rule: 'access.mesh_ids' };
  }
  return base;
}
