import { readFileSync } from 'node:fs';

export interface BuildInfo {
  readonly version: string;
  readonly commit: string;
}

/** Version and commit recorded by `npm run build` in dist/build-info.json (or package.json when run from source). */
export function readBuildInfo(): BuildInfo {
  for (const rel of ['../build-info.json', '../../package.json']) {
    try {
      const parsed = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        version?: unknown;
        commit?: unknown;
      };
      if (typeof parsed.version === 'string') {
        return {
          version: parsed.version,
          commit: typeof parsed.commit === 'string' ? parsed.commit : 'unknown',
        };
      }
    } catch {
      // try the next place
    }
  }
  return { version: '0.0.0', commit: 'unknown' };
}
