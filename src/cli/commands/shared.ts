import type { HomePaths, NodeIdentity } from '../../node/index.js';
import { loadIdentity } from '../../node/index.js';

/** The node's identity when one was created already; never creates one. */
export async function nodeIdentityIfAny(paths: HomePaths): Promise<NodeIdentity | null> {
  try {
    return await loadIdentity(paths.identityKey);
  } catch {
    return null;
  }
}
