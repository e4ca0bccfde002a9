import { readFileSync } from 'node:fs';

export interface BuildInfo {
  readonly version: string;
  /** The commit the build came from (`-dirty` when the tree had uncommitted changes), or `unknown`. */
  readonly commit: string;
  /** When `npm run build` ran (ISO 8601); absent when running from source. */
  readonly builtAt?: string;
}

/** Version and commit recorded by `npm run build` in dist/build-info.json (or package.json when run from source). */
export function readBuildInfo(): BuildInfo {
  for (const rel of ['../build-info.json', '../../package.json']) {
    try {
      const parsed = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        version?: unknown;
        commit?: unknown;
        builtAt?: unknown;
      };
      if (typeof parsed.version === 'string') {
        return {
          version: parsed.version,
          commit: typeof parsed.commit === 'string' ? parsed.commit : 'unknown',
          ...(typeof parsed.builtAt === 'string' ? { builtAt: parsed.builtAt } : {}),
        };
      }
    } catch {
      // try the next place
    }
  }
  return { version: '0.0.0', commit: 'unknown' };
}
