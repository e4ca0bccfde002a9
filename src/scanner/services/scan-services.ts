/**
 * The services part of a scan: the port scan, Docker and the service manager at the same time,
 * merged so one running service is one finding. An Ollama answering on its port that is also a
 * container and a systemd unit is reported once, with the port's URL and version and the evidence
 * of all three.
 */
import type { ProbeRun, ServiceFinding } from '../../core/index.js';
import type { ScanEnv } from '../scan-env.js';
import { probeDocker } from './docker.js';
import { probePorts } from './port-probe.js';
import { probeServiceUnits } from './service-units.js';

export interface ScanServicesOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  readonly extraPorts?: readonly number[];
  /** Time limit of each HTTP signature request (default 800 ms). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (message: string) => void;
}

function combine(into: ServiceFinding, other: ServiceFinding): ServiceFinding {
  const adoptIdentity = into.id === 'unknown' && other.id !== 'unknown';
  return {
    ...into,
    ...(adoptIdentity ? { id: other.id, name: other.name, kind: other.kind } : {}),
    url: into.url ?? other.url,
    port: into.port ?? other.port,
    version: into.version ?? other.version,
    evidence: `${into.evidence}; ${other.evidence}`,
  };
}

/**
 * Folds container and unit findings into the port findings they describe. A container is the
 * same service as the port finding on its published host port (or, published nowhere, as the one
 * port finding of its service); a unit is the same as a finding with its service id.
 */
export function mergeServiceFindings(
  ports: readonly ServiceFinding[],
  containers: readonly ServiceFinding[],
  units: readonly ServiceFinding[],
): ServiceFinding[] {
  const merged = [...ports];
  for (const container of containers) {
    let index = container.port === null ? -1 : merged.findIndex((f) => f.port === container.port);
    if (index < 0 && container.port === null && container.id !== 'unknown') {
      const same = merged.filter((f) => f.id === container.id);
      if (same.length === 1) index = merged.indexOf(same[0]!);
    }
    if (index >= 0) merged[index] = combine(merged[index]!, container);
    else merged.push(container);
  }
  for (const unit of units) {
    const index = merged.findIndex((f) => f.id === unit.id);
    if (index >= 0) merged[index] = combine(merged[index]!, unit);
    else merged.push(unit);
  }
  return merged;
}

/**
 * Finds the services on this machine: known services by their HTTP signature on their ports (and
 * `extraPorts`), running Docker containers, and known services the service manager runs. Probes
 * `ports`, `docker` and `systemd` run concurrently; a missing tool is a `not_detected` probe, never
 * an error. Throws only when `signal` aborts.
 */
export async function scanServices(
  env: ScanEnv,
  options: ScanServicesOptions = {},
): Promise<{ services: ServiceFinding[]; probes: ProbeRun[] }> {
  const { signal, onProgress } = options;
  const withSignal = signal ? { signal } : {};
  onProgress?.('services: checking ports, Docker and the service manager');
  const [ports, docker, units] = await Promise.all([
    probePorts({
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.extraPorts === undefined ? {} : { extraPorts: options.extraPorts }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...withSignal,
    }),
    probeDocker(env, withSignal),
    probeServiceUnits(env, withSignal),
  ]);
  const services = mergeServiceFindings(ports.services, docker.services, units.services);
  const known = services.filter((s) => s.id !== 'unknown').map((s) => s.name);
  onProgress?.(
    `services: ${known.length === 0 ? 'no known service found' : `found ${[...new Set(known)].join(', ')}`}`,
  );
  return { services, probes: [ports.probe, docker.probe, units.probe] };
}
