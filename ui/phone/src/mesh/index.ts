/**
 * Builds the phone's mesh runtime: its identity (an Ed25519 key made with WebCrypto and kept in the
 * browser's storage; its PeerId is the phone's node id), its mesh state (saved in the browser's
 * storage after every change), and the mesh engine with the browser platform (WebSocket dialing,
 * reached through a relay-serving node).
 */
import type { Logger } from '../../../../src/core/index.js';
import { IdentityError, fromBase64Url, toBase64Url } from '../../../../src/core/index.js';
import {
  MeshService,
  PersistentMeshState,
  browserMeshPlatform,
  decodeEd25519PrivateKey,
  encodePrivateKey,
  generateWebCryptoEd25519Key,
} from '../../../../src/mesh/browser.js';
import type { PhoneMesh } from '../contract.js';
import { PhoneRuntime } from './runtime.js';
import { MemoryLogger } from './memory-logger.js';

const KEY_ITEM = 'atmosphere.phone.key';
const APP_VERSION = '0.1.0';

async function loadOrCreateKey(storage: Storage): Promise<ReturnType<typeof decodeEd25519PrivateKey>> {
  const saved = storage.getItem(KEY_ITEM);
  if (saved !== null) {
    try {
      return decodeEd25519PrivateKey(fromBase64Url(saved));
    } catch (err) {
      throw new IdentityError(
        `this phone's saved identity is unreadable (${err instanceof Error ? err.message : String(err)}); clear the site's data to start over`,
      );
    }
  }
  const key = await generateWebCryptoEd25519Key();
  storage.setItem(KEY_ITEM, toBase64Url(encodePrivateKey(key)));
  return key;
}

/** "Android phone", "iPhone", "iPad" or "Browser": the name members see for this phone. */
export function deviceName(userAgent: string): string {
  if (/iPhone/.test(userAgent)) return 'iPhone';
  if (/iPad/.test(userAgent)) return 'iPad';
  if (/Android/.test(userAgent)) return 'Android phone';
  return 'Browser';
}

let created: Promise<PhoneRuntime> | undefined;

/** The app's one runtime (started once; dials the mesh it belongs to). */
export async function createPhoneMesh(): Promise<PhoneMesh> {
  created ??= startRuntime().catch((err: unknown) => {
    // a failed start may be retried (the app's "Try again")
    created = undefined;
    throw err;
  });
  return await created;
}

async function startRuntime(): Promise<PhoneRuntime> {
  const storage = window.localStorage;
  const logger: Logger = new MemoryLogger();
  const state = new PersistentMeshState({ store: storage });
  const mesh = new MeshService(
    {
      ...browserMeshPlatform(),
      privateKey: await loadOrCreateKey(storage),
      logger: logger.child('mesh'),
      clock: { now: () => Date.now() },
      state,
    },
    {
      name: deviceName(navigator.userAgent),
      tcpPort: null,
      wsPort: null,
      mdns: false,
      useRelays: true,
      // a phone knows a handful of members: retry them sooner than a node would
      redialIntervalMs: 3_000,
    },
  );
  const runtime = new PhoneRuntime(
    { mesh, logger, storage, now: () => Date.now() },
    { name: deviceName(navigator.userAgent), version: APP_VERSION, loadError: state.loadError },
  );
  await runtime.start();
  // back online, or back in the foreground (a phone suspends backgrounded pages): dial now rather
  // than when the back-off says
  window.addEventListener('online', () => {
    runtime.reconnect();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') runtime.reconnect();
  });
  return runtime;
}
