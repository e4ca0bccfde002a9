import { describe, expect, it } from 'vitest';
import { ollamaUrlFromHost, resolveOllamaUrl } from './backend-urls.js';

describe('ollamaUrlFromHost', () => {
  it.each([
    ['', 'http://127.0.0.1:11434'],
    ['0.0.0.0', 'http://127.0.0.1:11434'],
    ['0.0.0.0:11435', 'http://127.0.0.1:11435'],
    [':11436', 'http://127.0.0.1:11436'],
    ['gpu-box.local', 'http://gpu-box.local:11434'],
    ['192.168.1.20:9000', 'http://192.168.1.20:9000'],
    ['http://gpu-box', 'http://gpu-box:80'],
    ['https://ollama.example.com', 'https://ollama.example.com:443'],
    ['https://ollama.example.com:8443/ollama/', 'https://ollama.example.com:8443/ollama'],
    ['[::1]:11500', 'http://[::1]:11500'],
    ['::', 'http://[::1]:11434'],
    ['localhost:notaport', 'http://127.0.0.1:11434'],
  ])('reads OLLAMA_HOST=%j as %s, like the ollama CLI', (value, url) => {
    expect(ollamaUrlFromHost(value)).toBe(url);
  });
});

describe('resolveOllamaUrl', () => {
  it('uses the configured URL over OLLAMA_HOST so nodes on one machine can differ', () => {
    expect(resolveOllamaUrl({ configUrl: 'http://127.0.0.1:21434', ollamaHostEnv: '127.0.0.1:11434' })).toBe(
      'http://127.0.0.1:21434',
    );
  });

  it('falls back to OLLAMA_HOST, then to the default', () => {
    expect(resolveOllamaUrl({ configUrl: null, ollamaHostEnv: 'gpu-box' })).toBe('http://gpu-box:11434');
    expect(resolveOllamaUrl({ configUrl: '  ', ollamaHostEnv: '' })).toBe('http://127.0.0.1:11434');
  });
});
