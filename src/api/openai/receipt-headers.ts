/**
 * The route receipt as response headers: which node and capability served a `/v1/*` request, how
 * many nodes were tried, and the id under which `GET /api/routes/{id}` explains the decision.
 */
import type { RouteReceipt } from '../../core/index.js';

export const NODE_HEADER = 'X-Atmosphere-Node';
export const CAPABILITY_HEADER = 'X-Atmosphere-Capability';
export const ROUTE_ID_HEADER = 'X-Atmosphere-Route-Id';
export const ATTEMPTS_HEADER = 'X-Atmosphere-Attempts';

/** The receipt headers, in the order a browser's CORS `Access-Control-Expose-Headers` would list them. */
export const RECEIPT_HEADERS: readonly string[] = [
  NODE_HEADER,
  CAPABILITY_HEADER,
  ROUTE_ID_HEADER,
  ATTEMPTS_HEADER,
];

/** Header values are visible ASCII; anything else (a model id with other characters) is percent-encoded. */
function headerValue(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

export function receiptHeaders(receipt: RouteReceipt): Record<string, string> {
  return {
    [NODE_HEADER]: headerValue(receipt.nodeId),
    [CAPABILITY_HEADER]: headerValue(receipt.capabilityId),
    [ROUTE_ID_HEADER]: headerValue(receipt.routeId),
    [ATTEMPTS_HEADER]: String(receipt.attempts.length),
  };
}
