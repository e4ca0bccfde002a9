// Every test process gets what a node process has: the Node 20 polyfill and a global WebSocket.
import '../src/polyfills.js';
import { installWebSocketGlobal } from '../src/node/websocket-global.js';

installWebSocketGlobal();
