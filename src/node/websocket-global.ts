import { WebSocket as WsWebSocket } from 'ws';

/**
 * Node 20 has no global `WebSocket`, which libp2p's WebSocket transport uses to dial; the `ws`
 * package provides a compatible one. Installed once by the node process before the mesh starts.
 */
export function installWebSocketGlobal(): void {
  const globals = globalThis as { WebSocket?: unknown };
  if (typeof globals.WebSocket === 'undefined') globals.WebSocket = WsWebSocket;
}
