import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CommandResult, ScanEnv } from '../scan-env.js';
import {
  containerFinding,
  parseDockerPortsColumn,
  parseDockerPsLines,
  parseEngineContainers,
  probeDocker,
} from './docker.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/scanner/services/${name}`, import.meta.url), 'utf8');

/** A machine with no engine socket whose `docker` command answers `result`. */
function envWithDocker(
  result: CommandResult,
  env: Record<string, string> = {},
): ScanEnv & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    platform: 'linux',
    arch: 'x64',
    hostname: 'box',
    homeDir: '/home/nobody',
    env,
    calls,
    run: (command, args) => {
      calls.push([command, ...args]);
      return Promise.resolve(command === 'docker' ? result : { status: 'missing', command });
    },
    readText: () => Promise.resolve(null),
    list: () => Promise.resolve(null),
    statOf: () => Promise.resolve(null),
  };
}

describe('docker ps JSON lines', () => {
  it('reads each running container with its image, name and published ports', () => {
    const containers = parseDockerPsLines(fixture('docker-ps.jsonl'));
    expect(containers.map((c) => c.name)).toEqual(['ollama', 'qdrant', 'ai-open-webui-1', 'ai-db-1', 'vllm']);
    const ollama = containers[0]!;
    expect(ollama.image).toBe('ollama/ollama:0.6.8');
    expect(ollama.state).toBe('running');
    // the same mapping on 0.0.0.0 and [::] is one port
    expect(ollama.ports).toEqual([
      { hostIp: '0.0.0.0', hostPort: 11434, containerPort: 11434, protocol: 'tcp' },
    ]);
    expect(containers[1]!.ports.map((p) => p.hostPort)).toEqual([6333, 6334]);
    expect(containers[3]!.ports).toEqual([
      { hostIp: null, hostPort: null, containerPort: 5432, protocol: 'tcp' },
    ]);
    expect(containers[4]!.ports).toEqual([]);
  });

  it('skips lines that are not a container', () => {
    const text = `warning: something\n{"ID":"abc","Image":"nginx","Names":"web","Ports":""}\n{"broken":\n`;
    expect(parseDockerPsLines(text).map((c) => c.name)).toEqual(['web']);
  });

  it('reads the old IPv6 spelling and ranges of the Ports column', () => {
    expect(parseDockerPortsColumn(':::8080->80/tcp, 0.0.0.0:8000-8001->9000-9001/tcp')).toEqual([
      { hostIp: '::', hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostIp: '0.0.0.0', hostPort: 8000, containerPort: 9000, protocol: 'tcp' },
      { hostIp: '0.0.0.0', hostPort: 8001, containerPort: 9001, protocol: 'tcp' },
    ]);
  });
});

describe('Engine API container list', () => {
  it('reads the ContainerSummary shape', () => {
    const containers = parseEngineContainers(JSON.parse(fixture('engine-containers.json')) as unknown);
    expect(containers.map((c) => [c.name, c.image])).toEqual([
      ['ollama', 'ollama/ollama:0.6.8'],
      ['comfyui', 'yanwk/comfyui-boot:cu124-slim'],
      ['redis', 'redis:7-alpine'],
    ]);
    expect(containers[1]!.ports).toEqual([
      { hostIp: '127.0.0.1', hostPort: 8188, containerPort: 8188, protocol: 'tcp' },
    ]);
    expect(containers[2]!.ports).toEqual([
      { hostIp: null, hostPort: null, containerPort: 6379, protocol: 'tcp' },
    ]);
  });

  it('refuses a body that is not a container list', () => {
    expect(() => parseEngineContainers({ message: 'page not found' })).toThrow();
  });
});

describe('container findings', () => {
  it('names a container of a known image as that service, reachable on its published port', () => {
    const [ollama, qdrant, webui, db, vllm] = parseDockerPsLines(fixture('docker-ps.jsonl')).map(
      containerFinding,
    );
    expect(ollama).toMatchObject({
      id: 'ollama',
      name: 'Ollama',
      kind: 'llm',
      source: 'docker',
      url: 'http://127.0.0.1:11434',
      port: 11434,
      version: '0.6.8',
    });
    expect(ollama!.evidence).toContain('container ollama (image ollama/ollama:0.6.8');
    expect(qdrant).toMatchObject({ id: 'qdrant', port: 6333, version: 'v1.14.0' });
    // Open WebUI listens on 8080 in its container, published on 3000
    expect(webui).toMatchObject({
      id: 'open-webui',
      port: 3000,
      url: 'http://127.0.0.1:3000',
      version: null,
    });
    expect(db).toMatchObject({ id: 'unknown', name: 'ai-db-1', kind: 'container', port: null, url: null });
    // host networking publishes nothing: known, but no port to name
    expect(vllm).toMatchObject({ id: 'vllm', port: null, url: null });
  });
});

describe('the docker probe', () => {
  it('reports "not detected" when the CLI finds no engine', async () => {
    const env = envWithDocker({
      status: 'failed',
      exitCode: 1,
      stdout: '',
      stderr:
        'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
      reason:
        'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
    });
    const { services, probe } = await probeDocker(env);
    expect(services).toEqual([]);
    expect(probe.id).toBe('docker');
    expect(probe.status).toBe('not_detected');
    expect(probe.detail).toContain('no Docker engine answers');
    expect(env.calls[0]).toEqual(['docker', 'ps', '--no-trunc', '--format', '{{json .}}']);
  });

  it('reports "not detected" when neither a socket nor the CLI is there', async () => {
    const { probe } = await probeDocker(envWithDocker({ status: 'missing', command: 'docker' }));
    expect(probe).toMatchObject({ status: 'not_detected' });
    expect(probe.detail).toContain('not installed');
  });

  it('reports a CLI that hangs as timed out', async () => {
    const { probe } = await probeDocker(envWithDocker({ status: 'timed_out', timeoutMs: 2000 }));
    expect(probe.status).toBe('timed_out');
  });

  it('lists containers from the CLI when it answers', async () => {
    const { services, probe } = await probeDocker(
      envWithDocker({ status: 'ok', stdout: fixture('docker-ps.jsonl'), stderr: '' }),
    );
    expect(probe).toMatchObject({ status: 'ok', detail: '5 running containers (via the docker CLI)' });
    expect(services.map((s) => s.id)).toEqual(['ollama', 'qdrant', 'open-webui', 'unknown', 'vllm']);
  });

  it('does not read an engine on another machine', async () => {
    const env = envWithDocker(
      { status: 'ok', stdout: fixture('docker-ps.jsonl'), stderr: '' },
      {
        DOCKER_HOST: 'tcp://192.0.2.10:2376',
      },
    );
    const { services, probe } = await probeDocker(env);
    expect(services).toEqual([]);
    expect(probe.status).toBe('not_detected');
    expect(env.calls).toEqual([]);
  });
});
