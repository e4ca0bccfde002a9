/**
 * Running Docker containers, from the Engine API on its unix socket (`GET /containers/json`) or,
 * failing that, the CLI (`docker ps --format '{{json .}}'`). Each container becomes a finding; a
 * container whose image is a known service's (`ollama/ollama`, `qdrant/qdrant` ...) carries that
 * service's id. No engine — no socket, no CLI, or a CLI that cannot reach a daemon — is "not
 * detected" with the reason, never an error.
 *
 * Only a local engine is read: a `DOCKER_HOST` on another machine is not this device's containers.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { z } from 'zod';
import type { ProbeRun, ServiceFinding } from '../../core/index.js';
import type { ScanEnv } from '../scan-env.js';
import { describeCommandResult } from '../scan-env.js';
import { imageRepository, imageTag, serviceForImage } from './known-services.js';

/** The Engine's default socket on Linux (and Docker Desktop's compatibility link on macOS). */
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
/** Longest wait for the Engine API or the `docker` CLI. */
export const DEFAULT_DOCKER_TIMEOUT_MS = 2_000;
/** Engine answers beyond this are refused (a list of containers is far smaller). */
const MAX_ENGINE_BODY_BYTES = 8 * 1024 * 1024;
/** Port ranges (`8000-8010->8000-8010/tcp`) are expanded up to this many ports. */
const MAX_RANGE_PORTS = 64;

export interface PublishedPort {
  /** Host address it is published on (`0.0.0.0`, `::`, `127.0.0.1`); null when only exposed. */
  readonly hostIp: string | null;
  /** Host port; null when the container port is exposed but not published. */
  readonly hostPort: number | null;
  readonly containerPort: number;
  readonly protocol: string;
}

export interface DockerContainer {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  /** `running`, `exited` ... when the source says. */
  readonly state: string | null;
  /** `Up 2 hours` ... */
  readonly status: string | null;
  readonly ports: readonly PublishedPort[];
}

// ---- parsers ----------------------------------------------------------------------------------

function uniquePorts(ports: readonly PublishedPort[]): PublishedPort[] {
  const seen = new Set<string>();
  return ports.filter((p) => {
    // the same mapping on 0.0.0.0 and :: is one published port
    const key = `${p.hostPort}:${p.containerPort}/${p.protocol}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const PORT_ITEM = /^(?:(.*):(\d+)(?:-(\d+))?->)?(\d+)(?:-(\d+))?\/(\w+)$/;

/**
 * The CLI's `Ports` column: `0.0.0.0:11434->11434/tcp, :::11434->11434/tcp, 8080/tcp`,
 * `[::]:5432->5432/tcp`, `0.0.0.0:8000-8001->8000-8001/tcp`.
 */
export function parseDockerPortsColumn(column: string): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const item of column.split(',').map((s) => s.trim())) {
    const m = PORT_ITEM.exec(item);
    if (m === null) continue;
    const [, ip, hostStart, hostEnd, containerStart, containerEnd, protocol] = m;
    const first = Number(containerStart);
    const last = containerEnd === undefined ? first : Number(containerEnd);
    const count = Math.min(last - first + 1, MAX_RANGE_PORTS);
    for (let i = 0; i < count; i++) {
      const hostPort =
        hostStart === undefined ? null : Number(hostStart) + (hostEnd === undefined && i > 0 ? 0 : i);
      out.push({
        hostIp: ip === undefined ? null : ip.replace(/^\[(.*)\]$/, '$1'),
        hostPort,
        containerPort: first + i,
        protocol: protocol ?? 'tcp',
      });
    }
  }
  return uniquePorts(out);
}

const psLineSchema = z.object({
  ID: z.string(),
  Image: z.string(),
  Names: z.union([z.string(), z.array(z.string())]),
  State: z.string().optional(),
  Status: z.string().optional(),
  Ports: z.string().optional(),
});

/** `docker ps --format '{{json .}}'`: one JSON object a line. Lines that are not one are skipped. */
export function parseDockerPsLines(stdout: string): DockerContainer[] {
  const out: DockerContainer[] = [];
  for (const line of stdout.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(trimmed);
    } catch {
      continue;
    }
    const parsed = psLineSchema.safeParse(raw);
    if (!parsed.success) continue;
    const row = parsed.data;
    const names = Array.isArray(row.Names) ? row.Names : row.Names.split(',');
    out.push({
      id: row.ID,
      name: (names[0] ?? row.ID).trim().replace(/^\//, ''),
      image: row.Image,
      state: row.State ?? null,
      status: row.Status ?? null,
      ports: parseDockerPortsColumn(row.Ports ?? ''),
    });
  }
  return out;
}

const engineContainersSchema = z.array(
  z.object({
    Id: z.string(),
    Names: z.array(z.string()).nullish(),
    Image: z.string(),
    State: z.string().nullish(),
    Status: z.string().nullish(),
    Ports: z
      .array(
        z.object({
          IP: z.string().nullish(),
          PrivatePort: z.number().int(),
          PublicPort: z.number().int().nullish(),
          Type: z.string().nullish(),
        }),
      )
      .nullish(),
  }),
);

/** The Engine API's `GET /containers/json` body. Throws when it is not that shape. */
export function parseEngineContainers(body: unknown): DockerContainer[] {
  return engineContainersSchema.parse(body).map((c) => ({
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
    image: c.Image,
    state: c.State ?? null,
    status: c.Status ?? null,
    ports: uniquePorts(
      (c.Ports ?? []).map((p) => ({
        hostIp: p.PublicPort == null ? null : (p.IP ?? null),
        hostPort: p.PublicPort ?? null,
        containerPort: p.PrivatePort,
        protocol: p.Type ?? 'tcp',
      })),
    ),
  }));
}

// ---- findings ---------------------------------------------------------------------------------

function describePort(p: PublishedPort): string {
  if (p.hostPort === null) return `${p.containerPort}/${p.protocol}`;
  const ip =
    p.hostIp === null || p.hostIp === '' ? '' : `${p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp}:`;
  return `${ip}${p.hostPort}->${p.containerPort}/${p.protocol}`;
}

/** Where a published port is reached from this machine. */
function dialHost(hostIp: string | null): string {
  if (hostIp === null || hostIp === '' || hostIp === '0.0.0.0' || hostIp === '127.0.0.1') return '127.0.0.1';
  if (hostIp === '::' || hostIp === '::1') return '[::1]';
  return hostIp.includes(':') ? `[${hostIp}]` : hostIp;
}

/** A container as a finding: a known service when its image is one's, else `unknown`. */
export function containerFinding(container: DockerContainer): ServiceFinding {
  const known = serviceForImage(container.image);
  const published = container.ports.filter((p) => p.hostPort !== null && p.protocol === 'tcp');
  const main =
    (known === null ? undefined : published.find((p) => known.ports.includes(p.containerPort))) ??
    published[0];
  const tag = imageTag(container.image);
  const ports = container.ports.length ? `, ports ${container.ports.map(describePort).join(', ')}` : '';
  const status = container.status ? `, ${container.status}` : '';
  return {
    id: known?.id ?? 'unknown',
    name: known?.name ?? container.name,
    kind: known?.kind ?? 'container',
    source: 'docker',
    url: main?.hostPort == null ? null : `http://${dialHost(main.hostIp)}:${main.hostPort}`,
    port: main?.hostPort ?? null,
    version: tag !== null && /^v?\d+(\.\d+)+/.test(tag) ? tag : null,
    evidence:
      `container ${container.name} (image ${container.image}${status})${ports}` +
      (known === null ? '' : `; the image ${imageRepository(container.image)} runs ${known.name}`),
  };
}

// ---- the probe --------------------------------------------------------------------------------

type Where = { readonly kind: 'socket'; readonly path: string } | { readonly kind: 'cli' } | null;

/** Where to ask: the socket `DOCKER_HOST` names, a default socket that exists, or the CLI. */
async function findEngine(env: ScanEnv): Promise<{ where: Where; note: string | null }> {
  const dockerHost = env.env.DOCKER_HOST?.trim();
  if (dockerHost) {
    if (dockerHost.startsWith('unix://'))
      return { where: { kind: 'socket', path: dockerHost.slice(7) }, note: null };
    const local = /^tcp:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/?$/i.test(dockerHost);
    return local
      ? { where: { kind: 'cli' }, note: null }
      : { where: null, note: `DOCKER_HOST=${dockerHost} is not this machine's engine` };
  }
  const candidates = [
    DEFAULT_DOCKER_SOCKET,
    join(env.homeDir, '.docker', 'run', 'docker.sock'),
    ...(env.env.XDG_RUNTIME_DIR ? [join(env.env.XDG_RUNTIME_DIR, 'docker.sock')] : []),
  ];
  for (const path of candidates) {
    if ((await env.statOf(path)) !== null) return { where: { kind: 'socket', path }, note: null };
  }
  return { where: { kind: 'cli' }, note: null };
}

/** `GET /containers/json` over the Engine's unix socket. Rejects with the reason it failed. */
export function engineContainers(
  socketPath: string,
  options: { readonly timeoutMs?: number; readonly signal?: AbortSignal } = {},
): Promise<DockerContainer[]> {
  const deadline = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_DOCKER_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  return new Promise<DockerContainer[]>((resolve, reject) => {
    const fail = (err: unknown): void =>
      reject(
        deadline.aborted && !options.signal?.aborted
          ? new Error(`the engine did not answer within ${options.timeoutMs ?? DEFAULT_DOCKER_TIMEOUT_MS} ms`)
          : (err as Error),
      );
    const req = request(
      {
        socketPath,
        path: '/containers/json',
        method: 'GET',
        headers: { host: 'docker' },
        signal,
        agent: false,
      },
      (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ENGINE_BODY_BYTES) res.destroy(new Error('engine answer too large'));
          else parts.push(chunk);
        });
        res.once('error', fail);
        res.once('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          if (res.statusCode !== 200) {
            fail(new Error(`engine answered HTTP ${res.statusCode}: ${text.trim().slice(0, 200)}`));
            return;
          }
          try {
            resolve(parseEngineContainers(JSON.parse(text) as unknown));
          } catch (err) {
            fail(new Error(`engine answer is not a container list: ${(err as Error).message.slice(0, 200)}`));
          }
        });
      },
    );
    req.once('error', fail);
    req.end();
  });
}

const NO_DAEMON = /cannot connect to the docker daemon|is the docker daemon running|error during connect/i;
const NO_PERMISSION = /permission denied/i;

/**
 * The running containers as findings, with the probe's run (`docker`). Throws only when `signal`
 * aborts.
 */
export async function probeDocker(
  env: ScanEnv,
  options: { readonly timeoutMs?: number; readonly signal?: AbortSignal } = {},
): Promise<{ services: ServiceFinding[]; probe: ProbeRun; containers: DockerContainer[] }> {
  const started = performance.now();
  const { signal } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_DOCKER_TIMEOUT_MS;
  const run = (status: ProbeRun['status'], detail: string, containers: DockerContainer[] = []) => ({
    services: containers.map(containerFinding),
    containers,
    probe: { id: 'docker', status, durationMs: Math.round(performance.now() - started), detail },
  });
  const summary = (containers: DockerContainer[], via: string): string =>
    `${containers.length} running container${containers.length === 1 ? '' : 's'} (via ${via})`;

  const { where, note } = await findEngine(env);
  if (where === null) return run('not_detected', note ?? 'no local Docker engine');

  let socketFailure: string | null = null;
  if (where.kind === 'socket') {
    try {
      const containers = (
        await engineContainers(where.path, { timeoutMs, ...(signal ? { signal } : {}) })
      ).filter((c) => c.state === null || c.state === 'running');
      return run('ok', summary(containers, where.path), containers);
    } catch (err) {
      if (signal?.aborted) throw err;
      socketFailure = `${where.path}: ${(err as Error).message}`;
    }
  }

  const result = await env.run('docker', ['ps', '--no-trunc', '--format', '{{json .}}'], {
    timeoutMs,
    ...(signal ? { signal } : {}),
  });
  const before = socketFailure === null ? '' : `${socketFailure}; `;
  switch (result.status) {
    case 'ok': {
      const containers = parseDockerPsLines(result.stdout);
      return run('ok', summary(containers, 'the docker CLI'), containers);
    }
    case 'missing':
      return run('not_detected', `${before}the docker CLI is not installed and no engine socket was found`);
    case 'timed_out':
      return run('timed_out', `${before}docker ps ${describeCommandResult(result)}`);
    case 'failed': {
      if (NO_DAEMON.test(result.stderr) || NO_DAEMON.test(result.reason)) {
        return run(
          'not_detected',
          `${before}the docker CLI is installed but no Docker engine answers: ${result.reason}`,
        );
      }
      if (NO_PERMISSION.test(result.stderr)) {
        return run('not_detected', `${before}no permission to reach the Docker engine: ${result.reason}`);
      }
      return run('failed', `${before}docker ps failed: ${result.reason}`);
    }
  }
}
