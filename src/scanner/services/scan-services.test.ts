import { describe, expect, it } from 'vitest';
import type { ServiceFinding } from '../../core/index.js';
import { mergeServiceFindings } from './scan-services.js';

const finding = (over: Partial<ServiceFinding>): ServiceFinding => ({
  id: 'ollama',
  name: 'Ollama',
  kind: 'llm',
  source: 'port',
  url: null,
  port: null,
  version: null,
  evidence: 'e',
  ...over,
});

const portOllama = finding({
  url: 'http://127.0.0.1:11434',
  port: 11434,
  version: '0.6.8',
  evidence: 'port 11434 answered GET / as Ollama does',
});

describe('merging service findings', () => {
  it('makes one finding of a service seen on its port, as a container and as a unit', () => {
    const container = finding({
      source: 'docker',
      url: 'http://127.0.0.1:11434',
      port: 11434,
      version: '0.5.0',
      evidence: 'container ollama (image ollama/ollama:0.5.0)',
    });
    const unit = finding({ source: 'systemd', evidence: 'systemd unit ollama.service is running' });
    const merged = mergeServiceFindings([portOllama], [container], [unit]);
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatchObject({
      id: 'ollama',
      source: 'port',
      url: 'http://127.0.0.1:11434',
      version: '0.6.8',
    });
    expect(merged[0]!.evidence).toBe(
      'port 11434 answered GET / as Ollama does; container ollama (image ollama/ollama:0.5.0); systemd unit ollama.service is running',
    );
  });

  it('names an unknown open port after the known container published on it', () => {
    const unknownPort = finding({
      id: 'unknown',
      name: 'unknown service on port 8080',
      kind: 'unknown',
      url: 'http://127.0.0.1:8080',
      port: 8080,
      evidence: 'port open, no known signature',
    });
    const container = finding({
      id: 'weaviate',
      name: 'Weaviate',
      kind: 'vector-db',
      source: 'docker',
      port: 8080,
      version: '1.30.1',
      evidence: 'container weaviate',
    });
    const [merged] = mergeServiceFindings([unknownPort], [container], []);
    expect(merged).toMatchObject({
      id: 'weaviate',
      name: 'Weaviate',
      kind: 'vector-db',
      source: 'port',
      version: '1.30.1',
    });
  });

  it('joins a container on the host network to the one port finding of its service', () => {
    const hostNetwork = finding({ source: 'docker', evidence: 'container ollama (host network)' });
    const merged = mergeServiceFindings([portOllama], [hostNetwork], []);
    expect(merged).toHaveLength(1);
    expect(merged[0]!.evidence).toContain('host network');
  });

  it('keeps apart what cannot be the same service', () => {
    const other = finding({ id: 'qdrant', name: 'Qdrant', kind: 'vector-db', source: 'docker', port: 6333 });
    const unknownContainer = finding({ id: 'unknown', name: 'db', kind: 'container', source: 'docker' });
    const runtime = finding({
      id: 'docker',
      name: 'Docker Engine',
      kind: 'container-runtime',
      source: 'systemd',
    });
    const merged = mergeServiceFindings([portOllama], [other, unknownContainer], [runtime]);
    expect(merged.map((f) => f.id)).toEqual(['ollama', 'qdrant', 'unknown', 'docker']);
  });
});
