/**
 * The port scan: which well-known service ports accept a connection on one host (loopback by
 * default — the scanner scans its own machine), then what each open port *is*, from the HTTP
 * signatures in `known-services.ts`. Only the given host is ever dialled.
 *
 * All connect checks run at once (each at most `DEFAULT_CONNECT_TIMEOUT_MS`), then the signature
 * requests of every open port at once (each at most `timeoutMs`), so a scan where nothing listens
 * takes about one connect timeout, and one where a port accepts but never answers about one more
 * request timeout.
 */
import type { ProbeRun, ServiceFinding } from '../../core/index.js';
import { httpGet, isPortOpen } from './http-probe.js';
import type { HttpAnswer } from './http-probe.js';
import { DEFAULT_SERVICE_PORTS, KNOWN_SERVICES } from './known-services.js';
import type { HttpSignature, KnownService } from './known-services.js';

/** The scanner scans its own machine. */
export const DEFAULT_SCAN_HOST = '127.0.0.1';
/** Longest wait for a TCP connection on one port (a closed loopback port refuses at once). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 300;
/** Longest wait for one signature request's whole answer. */
export const DEFAULT_HTTP_TIMEOUT_MS = 800;

export interface ProbePortsOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Ports to check besides the known services' ports; every signature is tried on them. */
  readonly extraPorts?: readonly number[];
  /** Time limit of each HTTP request. Default 800 ms; connect checks wait at most 300 ms. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

interface Identified {
  readonly service: KnownService;
  readonly signature: HttpSignature;
  readonly version: string | null;
}

interface PortResult {
  readonly port: number;
  readonly identified: Identified | null;
  /** Some request got an HTTP answer. */
  readonly answered: boolean;
  /** Why no request was answered (when none was). */
  readonly silence: string | null;
}

/** `http://127.0.0.1:11434`, `http://[::1]:8080`. */
export function serviceUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65535;
}

function matchSignature(
  signature: HttpSignature,
  answers: ReadonlyMap<string, HttpAnswer>,
): { version: string | null } | null {
  let version: string | null = null;
  for (const check of signature.checks.filter((c) => !c.optional)) {
    const answer = answers.get(check.path);
    if (answer === undefined || !answer.ok) return null;
    const match = check.match(answer);
    if (match === null) return null;
    version ??= match.version;
  }
  for (const check of signature.checks.filter((c) => c.optional === true)) {
    const answer = answers.get(check.path);
    if (answer === undefined || !answer.ok) continue;
    version ??= check.match(answer)?.version ?? null;
  }
  return { version };
}

async function identifyPort(
  host: string,
  port: number,
  candidates: readonly KnownService[],
  options: { readonly timeoutMs: number; readonly signal?: AbortSignal },
): Promise<PortResult> {
  const paths = [
    ...new Set(candidates.flatMap((s) => s.signatures.flatMap((g) => g.checks.map((c) => c.path)))),
  ];
  const answers = new Map<string, HttpAnswer>(
    await Promise.all(
      paths.map(async (path) => [path, await httpGet(host, port, path, options)] as [string, HttpAnswer]),
    ),
  );
  const answered = [...answers.values()].some((a) => a.ok);
  const firstFailure = [...answers.values()].find((a) => !a.ok);
  const silence = answered || firstFailure === undefined || firstFailure.ok ? null : firstFailure.reason;
  for (const service of candidates) {
    for (const signature of service.signatures) {
      const match = matchSignature(signature, answers);
      if (match !== null) return { port, identified: { service, signature, ...match }, answered, silence };
    }
  }
  return { port, identified: null, answered, silence };
}

function findingFor(host: string, result: PortResult): ServiceFinding {
  const url = serviceUrl(host, result.port);
  const { identified } = result;
  if (identified !== null) {
    const asked = identified.signature.checks
      .filter((c) => !c.optional)
      .map((c) => `GET ${c.path}`)
      .join(' and ');
    return {
      id: identified.service.id,
      name: identified.service.name,
      kind: identified.service.kind,
      source: 'port',
      url,
      port: result.port,
      version: identified.version,
      evidence: `port ${result.port} answered ${asked} as ${identified.service.name} does`,
    };
  }
  return {
    id: 'unknown',
    name: `unknown service on port ${result.port}`,
    kind: 'unknown',
    source: 'port',
    url,
    port: result.port,
    version: null,
    evidence:
      result.silence === null
        ? 'port open, no known signature'
        : `port open, no known signature (no HTTP answer: ${result.silence})`,
  };
}

/**
 * Checks the known services' ports (and `extraPorts`) on `host` and names what answers. A listed
 * port that is open but matches no signature is reported as `unknown`; an extra port that matches
 * nothing is not reported. Throws only when `signal` aborts.
 */
export async function probePorts(
  options: ProbePortsOptions = {},
): Promise<{ services: ServiceFinding[]; probe: ProbeRun }> {
  const started = performance.now();
  const { signal } = options;
  const host = options.host ?? DEFAULT_SCAN_HOST;
  const timeoutMs = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const connectTimeoutMs = Math.min(DEFAULT_CONNECT_TIMEOUT_MS, timeoutMs);
  const extra = new Set((options.extraPorts ?? []).filter(isPort));
  const ignored = (options.extraPorts ?? []).filter((p) => !isPort(p));
  const listed = new Set(DEFAULT_SERVICE_PORTS);
  const ports = [...new Set([...DEFAULT_SERVICE_PORTS, ...extra])].sort((a, b) => a - b);

  const openPorts = (
    await Promise.all(
      ports.map(async (port) =>
        (await isPortOpen(host, port, { timeoutMs: connectTimeoutMs, ...(signal ? { signal } : {}) }))
          ? port
          : null,
      ),
    )
  ).filter((port): port is number => port !== null);

  const results = await Promise.all(
    openPorts.map((port) =>
      identifyPort(
        host,
        port,
        extra.has(port) ? KNOWN_SERVICES : KNOWN_SERVICES.filter((s) => s.ports.includes(port)),
        { timeoutMs, ...(signal ? { signal } : {}) },
      ),
    ),
  );

  const services = results
    .filter((r) => r.identified !== null || listed.has(r.port))
    .map((r) => findingFor(host, r));
  const named = results.flatMap((r) => (r.identified ? [`${r.identified.service.id} on ${r.port}`] : []));
  const silent = results.filter((r) => !r.answered).map((r) => r.port);
  const detail = [
    `checked ${ports.length} ports on ${host}: ${openPorts.length === 0 ? 'none' : openPorts.length} open`,
    ...(named.length ? [`identified ${named.join(', ')}`] : []),
    ...(silent.length ? [`no HTTP answer on ${silent.join(', ')}`] : []),
    ...(ignored.length ? [`ignored invalid ports ${ignored.join(', ')}`] : []),
  ].join('; ');
  return {
    services,
    probe: { id: 'ports', status: 'ok', durationMs: Math.round(performance.now() - started), detail },
  };
}
