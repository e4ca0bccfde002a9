import type { ClientOptions } from 'ws';
import { WebSocket as WsWebSocket } from 'ws';

/**
 * `ws`'s WebSocket is also a Node EventEmitter: an `error` with no listener left (libp2p removes its
 * own once a dial is aborted, e.g. when the node stops mid-dial) would be thrown as an uncaught
 * exception. A browser's WebSocket never throws for that; this one swallows the event the same way
 * (the dial already failed or was abandoned, and libp2p reports it).
 */
class QuietWebSocket extends WsWebSocket {
  constructor(address: string | URL, protocols?: string | string[], options?: ClientOptions) {
    super(address, protocols, options);
    this.on('error', () => undefined);
  }
}

/**
 * Node 20 has no global `WebSocket`, which libp2p's WebSocket transport uses to dial; the `ws`
 * package provides a compatible one. Installed once by the node process before the mesh starts.
 */
export function installWebSocketGlobal(): void {
  const globals = globalThis as { WebSocket?: unknown };
  if (typeof globals.WebSocket === 'undefined') globals.WebSocket = QuietWebSocket;
}
