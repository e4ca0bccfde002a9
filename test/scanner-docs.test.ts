import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROBE_STATUSES } from '../src/core/index.js';
import { describeKnownServices, HARDWARE_PROBE_IDS } from '../src/scanner/index.js';

const doc = readFileSync(join(import.meta.dirname, '..', 'docs', 'SCANNER.md'), 'utf8');

describe('docs/SCANNER.md', () => {
  it('lists every known service with its id and ports', () => {
    for (const service of describeKnownServices()) {
      const row = doc.split('\n').find((line) => line.includes(`| \`${service.id}\``));
      expect(row, `no row for ${service.id}`).toBeDefined();
      for (const port of service.ports) expect(row).toContain(String(port));
    }
  });

  it('names every probe and probe status of the report', () => {
    for (const id of [
      ...HARDWARE_PROBE_IDS,
      'ollama',
      'llamafarm',
      'huggingface',
      'gguf',
      'transformers',
      'ports',
      'docker',
      'systemd',
    ]) {
      expect(doc).toContain(`\`${id}\``);
    }
    for (const status of PROBE_STATUSES) expect(doc).toContain(status);
  });
});
