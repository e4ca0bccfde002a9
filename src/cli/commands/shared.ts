import { readFileSync } from 'node:fs';
import type { HomePaths } from '../../client/index.js';

/**
 * The node id recorded in the identity file, when there is one; never creates one. Read without
 * loading the key (the file is verified when the node starts), so status stays fast.
 */
export function nodeIdIfAny(paths: HomePaths): string | null {
  try {
    const parsed = JSON.parse(readFileSync(paths.identityKey, 'utf8')) as { nodeId?: unknown };
    return typeof parsed.nodeId === 'string' ? parsed.nodeId : null;
  } catch {
    return null;
  }
}
