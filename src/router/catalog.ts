/**
 * Catalog files: a JSON array of capabilities, loaded as if those capabilities had been announced
 * (`atmosphere route --catalog`, tests, benchmarks). Format: shared/routing/README.md and
 * docs/ROUTING.md.
 */
import type { Capability } from '../core/index.js';
import { InvalidCapabilityError, parseCapability } from '../core/index.js';

/** Node id given to catalog entries that name none (neither `nodeId` nor `metadata.node`). */
export const CATALOG_NODE_ID = 'catalog';

/**
 * Validates a parsed catalog. Each entry's node is its `nodeId`, else its `metadata.node`, else
 * `options.nodeId` (default `catalog`).
 */
export function parseCatalog(
  json: unknown,
  options: { nodeId?: string; source?: string } = {},
): Capability[] {
  const where = options.source ? `${options.source}: ` : '';
  if (!Array.isArray(json))
    throw new InvalidCapabilityError(`${where}a catalog is a JSON array of capabilities`);
  const seen = new Set<string>();
  return json.map((entry: unknown, i) => {
    const metaNode = (entry as { metadata?: { node?: unknown } } | null)?.metadata?.node;
    const nodeId = typeof metaNode === 'string' && metaNode ? metaNode : (options.nodeId ?? CATALOG_NODE_ID);
    let cap: Capability;
    try {
      cap = parseCapability(entry, { nodeId });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new InvalidCapabilityError(`${where}entry ${i}: ${msg}`, { cause: err });
    }
    const key = `${cap.nodeId}/${cap.id}`;
    if (seen.has(key))
      throw new InvalidCapabilityError(
        `${where}entry ${i}: duplicate capability "${cap.id}" on node ${cap.nodeId}`,
      );
    seen.add(key);
    return cap;
  });
}
