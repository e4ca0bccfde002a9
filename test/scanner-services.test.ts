/**
 * The services scan against real things on this machine: HTTP servers on 127.0.0.1 (and ::1)
 * answering like Ollama, LlamaFarm, Qdrant, ComfyUI and llama.cpp, servers that answer nothing
 * useful or never answer, a Docker Engine API served over a real unix socket, and the real `docker`
 * CLI with no engine behind it.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server as TcpServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceFinding } from '../src/core/index.js';
import { runCommand, systemScanEnv } from '../src/scanner/scan-env.js';
import type { CommandResult, ScanEnv } from '../src/scanner/scan-env.js';
import { probeDocker, probePorts, scanServices } from '../src/scanner/services/index.js';
import { closedPortUrl } from './doubles/double-server.js';
import { LlamaFarmDouble } from './doubles/llamafarm-double.js';
import { OllamaDouble } from './doubles/ollama-double.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/scanner/services/${name}`, import.meta.url), 'utf8');

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** An HTTP server on `host` (port 0 or a unix socket path), closed after the test file. */
const servers: Server[] = [];
async function serve(handler: Handler, where: { host?: string; path?: string } = {}): Promise<Server> {
  const server = createServer(handler);
  servers.push(server);
  if (where.path !== undefined) server.listen(where.path);
  else server.listen(0, where.host ?? '127.0.0.1');
  await once(server, 'listening');
  return server;
}
const portOf = (server: Server | TcpServer): number => (server.address() as AddressInfo).port;

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

const qdrantLike: Handler = (req, res) => {
  if (req.url === '/') {
    json(res, 200, {
      title: 'qdrant - vector search engine',
      version: '1.14.0',
      commit: '530430fac2a3ca8725',
    });
  } else {
    res.writeHead(404).end();
  }
};

const comfyLike: Handler = (req, res) => {
  if (req.url === '/system_stats') {
    json(res, 200, {
      system: {
        os: 'posix',
        ram_total: 33_554_432_000,
        ram_free: 20_000_000_000,
        comfyui_version: '0.3.30',
        python_version: '3.12.3 (main, Feb  4 2025, 14:48:35) [GCC 13.3.0]',
        pytorch_version: '2.6.0+cu124',
        embedded_python: false,
        argv: ['main.py', '--listen', '127.0.0.1'],
      },
      devices: [
        {
          name: 'cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync',
          type: 'cuda',
          index: 0,
          vram_total: 25_386_352_640,
          vram_free: 24_000_000_000,
          torch_vram_total: 0,
          torch_vram_free: 0,
        },
      ],
    });
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('404: Not Found');
  }
};

const llamaCppLike: Handler = (req, res) => {
  switch (req.url) {
    case '/health':
      return json(res, 200, { status: 'ok' });
    case '/props':
      return json(res, 200, {
        default_generation_settings: { n_ctx: 8192, temperature: 0.8 },
        total_slots: 4,
        model_path: '/models/qwen2.5-7b-instruct-q4_k_m.gguf',
        chat_template: '{% for message in messages %}…{% endfor %}',
        build_info: 'b5284-0f5ccd6f',
      });
    case '/v1/models':
      return json(res, 200, {
        object: 'list',
        data: [
          {
            id: 'qwen2.5-7b-instruct-q4_k_m.gguf',
            object: 'model',
            created: 1746177247,
            owned_by: 'llamacpp',
          },
        ],
      });
    default:
      return json(res, 404, { error: { code: 404, message: 'File Not Found', type: 'not_found_error' } });
  }
};

/** Answers every path with the same HTML page, like a single-page app's catch-all route. */
const plainSite: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>My app</title><p>hello</p>');
};

/** Accepts connections and never says a word. */
async function silentTcpServer(): Promise<{ server: TcpServer; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, sockets };
}

async function closeSilent(silent: { server: TcpServer; sockets: Set<Socket> }): Promise<void> {
  for (const socket of silent.sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.server.close(() => resolve()));
}

const onPort = (services: readonly ServiceFinding[], port: number): ServiceFinding[] =>
  services.filter((s) => s.port === port);

/** The Engine API's `GET /containers/json`, from the fixture, with Ollama published on `ollamaPort`. */
function engineApi(ollamaPort: number, requests: string[]): Handler {
  const containers = JSON.parse(fixture('engine-containers.json')) as {
    Names: string[];
    Ports: { PublicPort?: number }[];
  }[];
  for (const port of containers[0]!.Ports) port.PublicPort = ollamaPort;
  return (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.method === 'GET' && req.url === '/containers/json') json(res, 200, containers);
    else json(res, 404, { message: 'page not found' });
  };
}

describe('the port scan', () => {
  let ollama: OllamaDouble;
  let llamafarm: LlamaFarmDouble;
  let qdrant: Server;
  let comfy: Server;
  let llamaCpp: Server;
  let plain: Server;

  beforeAll(async () => {
    ollama = await OllamaDouble.start();
    llamafarm = await LlamaFarmDouble.start();
    qdrant = await serve(qdrantLike);
    comfy = await serve(comfyLike);
    llamaCpp = await serve(llamaCppLike);
    plain = await serve(plainSite);
  });

  afterAll(async () => {
    await ollama.close();
    await llamafarm.close();
    for (const server of servers.splice(0)) await closeServer(server);
  });

  it('names each service by what it answers, with its URL and version', async () => {
    const ports = {
      ollama: Number(new URL(ollama.url).port),
      llamafarm: Number(new URL(llamafarm.url).port),
      qdrant: portOf(qdrant),
      comfy: portOf(comfy),
      llamaCpp: portOf(llamaCpp),
    };
    const { services, probe } = await probePorts({ extraPorts: Object.values(ports) });

    expect(onPort(services, ports.ollama)).toEqual([
      {
        id: 'ollama',
        name: 'Ollama',
        kind: 'llm',
        source: 'port',
        url: `http://127.0.0.1:${ports.ollama}`,
        port: ports.ollama,
        version: '0.12.6',
        evidence: `port ${ports.ollama} answered GET /api/version and GET /api/tags as Ollama does`,
      },
    ]);
    expect(onPort(services, ports.llamafarm).map((s) => s.id)).toEqual(['llamafarm']);
    expect(onPort(services, ports.qdrant)).toMatchObject([
      { id: 'qdrant', kind: 'vector-db', version: '1.14.0' },
    ]);
    expect(onPort(services, ports.comfy)).toMatchObject([
      { id: 'comfyui', kind: 'image-generation', version: '0.3.30' },
    ]);
    expect(onPort(services, ports.llamaCpp)).toMatchObject([{ id: 'llama-cpp', version: 'b5284-0f5ccd6f' }]);
    expect(probe).toMatchObject({ id: 'ports', status: 'ok' });
    expect(probe.detail).toContain(`ollama on ${ports.ollama}`);
  });

  it('asks only read-only GETs, and the Ollama double sees the requests of its signature', async () => {
    const before = ollama.requests.length;
    await probePorts({ extraPorts: [Number(new URL(ollama.url).port)] });
    const asked = ollama.requests.slice(before);
    expect(asked.every((r) => r.method === 'GET')).toBe(true);
    expect(asked.map((r) => r.path)).toEqual(expect.arrayContaining(['/', '/api/version', '/api/tags']));
  });

  it('does not report a server that answers no signature, nor a closed port', async () => {
    const closed = Number(new URL(await closedPortUrl()).port);
    const { services } = await probePorts({ extraPorts: [portOf(plain), closed] });
    expect(onPort(services, portOf(plain))).toEqual([]);
    expect(onPort(services, closed)).toEqual([]);
  });

  it('gives up on a port that accepts but never answers within the timeout', async () => {
    const silent = await silentTcpServer();
    try {
      const port = portOf(silent.server);
      const started = performance.now();
      const { services, probe } = await probePorts({ extraPorts: [port], timeoutMs: 400 });
      const tookMs = performance.now() - started;
      expect(onPort(services, port)).toEqual([]);
      expect(probe.detail).toContain(`no HTTP answer on ${port}`);
      // one connect check (≤ 300 ms) plus one round of requests (≤ 400 ms), with room for a busy machine
      expect(tookMs).toBeLessThan(1_500);
    } finally {
      await closeSilent(silent);
    }
  });

  it('finishes within about one connect timeout when nothing listens', async () => {
    const closed = Number(new URL(await closedPortUrl()).port);
    const started = performance.now();
    const { services } = await probePorts({ extraPorts: [closed] });
    expect(onPort(services, closed)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('dials the host it is given, IPv6 loopback included', async () => {
    const v6 = await serve(qdrantLike, { host: '::1' });
    const port = portOf(v6);
    const onV4 = await probePorts({ extraPorts: [port] });
    expect(onPort(onV4.services, port)).toEqual([]);
    const onV6 = await probePorts({ host: '::1', extraPorts: [port] });
    expect(onPort(onV6.services, port)).toMatchObject([{ id: 'qdrant', url: `http://[::1]:${port}` }]);
  });

  it('stops when the caller aborts', async () => {
    const silent = await silentTcpServer();
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('scan cancelled')), 100);
      const started = performance.now();
      await expect(
        probePorts({ extraPorts: [portOf(silent.server)], timeoutMs: 5_000, signal: controller.signal }),
      ).rejects.toThrow('scan cancelled');
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      await closeSilent(silent);
    }
  });
});

describe('Docker', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atmosphere-docker-'));
  });

  afterEach(async () => {
    for (const server of servers.splice(0)) await closeServer(server);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists containers from the Engine API on the DOCKER_HOST unix socket', async () => {
    const socket = join(dir, 'engine.sock');
    const requests: string[] = [];
    await serve(engineApi(11434, requests), { path: socket });
    const env = systemScanEnv({ env: { DOCKER_HOST: `unix://${socket}`, PATH: process.env.PATH } });
    const { services, probe } = await probeDocker(env);
    expect(requests).toEqual(['GET /containers/json']);
    expect(probe).toMatchObject({
      id: 'docker',
      status: 'ok',
      detail: `3 running containers (via ${socket})`,
    });
    expect(services.map((s) => [s.id, s.source, s.port, s.url])).toEqual([
      ['ollama', 'docker', 11434, 'http://127.0.0.1:11434'],
      ['comfyui', 'docker', 8188, 'http://127.0.0.1:8188'],
      ['unknown', 'docker', null, null],
    ]);
    expect(services[2]!.evidence).toContain(
      'container redis (image redis:7-alpine, Up 4 days), ports 6379/tcp',
    );
  });

  it('reports the docker CLI without an engine as not detected, quickly', async () => {
    const cli = await runCommand('docker', ['--version']);
    if (cli.status !== 'ok') {
      throw new Error(
        `this test needs the docker CLI on PATH (it is /usr/local/bin/docker on the dev machines): ${cli.status}`,
      );
    }
    // a socket nobody serves: the engine API fails, then the CLI (which reads DOCKER_HOST too) fails
    const env = systemScanEnv({
      env: { DOCKER_HOST: `unix://${join(dir, 'absent.sock')}`, PATH: process.env.PATH },
    });
    const started = performance.now();
    const { services, probe } = await probeDocker(env);
    expect(performance.now() - started).toBeLessThan(2_500);
    expect(services).toEqual([]);
    expect(probe.status).toBe('not_detected');
    expect(probe.detail).toContain('the docker CLI is installed but no Docker engine answers');
    expect(probe.detail).toContain('Cannot connect to the Docker daemon');
  });
});

describe('scanServices', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atmosphere-services-'));
  });

  afterEach(async () => {
    for (const server of servers.splice(0)) await closeServer(server);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports Ollama on its port, in a container and as a unit as one service', async () => {
    const ollama = await OllamaDouble.start();
    try {
      const port = Number(new URL(ollama.url).port);
      const socket = join(dir, 'docker.sock');
      await serve(engineApi(port, []), { path: socket });
      const real = systemScanEnv({ env: { DOCKER_HOST: `unix://${socket}`, PATH: process.env.PATH } });
      const recordedUnits: CommandResult = {
        status: 'ok',
        stdout: fixture('systemctl-list-units.txt'),
        stderr: '',
      };
      const env: ScanEnv = {
        ...real,
        platform: 'linux',
        run: (command, args, options) =>
          command === 'systemctl' ? Promise.resolve(recordedUnits) : real.run(command, args, options),
      };
      const progress: string[] = [];
      const { services, probes } = await scanServices(env, {
        extraPorts: [port],
        onProgress: (m) => progress.push(m),
      });

      const found = services.filter((s) => s.id === 'ollama');
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({
        source: 'port',
        port,
        url: `http://127.0.0.1:${port}`,
        version: '0.12.6',
      });
      expect(found[0]!.evidence).toContain(`port ${port} answered`);
      expect(found[0]!.evidence).toContain('container ollama (image ollama/ollama:0.6.8');
      expect(found[0]!.evidence).toContain('systemd unit ollama.service is running');
      // the other units and containers stay separate findings
      expect(services.map((s) => s.id)).toEqual(
        expect.arrayContaining(['comfyui', 'docker', 'jupyter', 'qdrant']),
      );
      expect(probes.map((p) => [p.id, p.status])).toEqual([
        ['ports', 'ok'],
        ['docker', 'ok'],
        ['systemd', 'ok'],
      ]);
      expect(progress.at(-1)).toContain('Ollama');
    } finally {
      await ollama.close();
    }
  });

  it('scans this machine without failing where Docker or systemd are absent, in under 5 s', async () => {
    const started = performance.now();
    const { probes } = await scanServices(systemScanEnv());
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(probes.map((p) => p.id)).toEqual(['ports', 'docker', 'systemd']);
    for (const probe of probes)
      expect(['ok', 'not_detected'], `${probe.id}: ${probe.detail}`).toContain(probe.status);
  });

  it('rejects at once when the caller has already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('not now'));
    await expect(scanServices(systemScanEnv(), { signal: controller.signal })).rejects.toThrow('not now');
  });
});
