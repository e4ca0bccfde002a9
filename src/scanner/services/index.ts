/**
 * Services on this machine (seed Parts 1.1 and 6): well-known local AI and data services named by
 * their HTTP signature on their ports, running Docker containers, and known services the service
 * manager (systemd, launchd) runs — merged so one service is one finding. `scanServices` is the
 * entry point; the known-service table is exported read-only so docs can list it.
 */
export { scanServices, mergeServiceFindings } from './scan-services.js';
export type { ScanServicesOptions } from './scan-services.js';
export {
  probePorts,
  serviceUrl,
  DEFAULT_SCAN_HOST,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_HTTP_TIMEOUT_MS,
} from './port-probe.js';
export type { ProbePortsOptions } from './port-probe.js';
export { MAX_SIGNATURE_BODY_BYTES } from './http-probe.js';
export {
  KNOWN_SERVICES,
  DEFAULT_SERVICE_PORTS,
  describeKnownServices,
  imageRepository,
  serviceForImage,
  serviceForSystemdUnit,
  serviceForLaunchdLabel,
} from './known-services.js';
export type {
  KnownService,
  KnownServiceSummary,
  ServiceKind,
  HttpSignature,
  SignatureCheck,
  SignatureMatch,
  SignatureResponse,
} from './known-services.js';
export {
  probeDocker,
  engineContainers,
  parseDockerPsLines,
  parseDockerPortsColumn,
  parseEngineContainers,
  containerFinding,
  DEFAULT_DOCKER_SOCKET,
  DEFAULT_DOCKER_TIMEOUT_MS,
} from './docker.js';
export type { DockerContainer, PublishedPort } from './docker.js';
export {
  probeServiceUnits,
  parseSystemctlUnits,
  parseLaunchctlList,
  systemdFindings,
  launchdFindings,
  DEFAULT_SERVICE_MANAGER_TIMEOUT_MS,
} from './service-units.js';
export type { SystemdUnit, LaunchdJob } from './service-units.js';
