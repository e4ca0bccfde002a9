/**
 * The phone app's composition root: the settings store over `localStorage`, the device
 * capabilities over the browser's APIs, the service worker, and the mesh runtime started once.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Boot } from './app.js';
import { createBrowserCapabilities } from './capabilities/index.js';
import type { PhoneMesh } from './contract.js';
import { createPhoneMesh } from './mesh/index.js';
import { PhoneSettingsStore, browserStorage } from './settings.js';
import { registerServiceWorker } from './sw-register.js';
import './phone.css';

/** Starts the runtime once; a failed start may be tried again. */
function startOnce(create: () => Promise<PhoneMesh>): () => Promise<PhoneMesh> {
  let pending: Promise<PhoneMesh> | null = null;
  return () => {
    pending ??= create().catch((err: unknown) => {
      pending = null;
      throw err;
    });
    return pending;
  };
}

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root');
void registerServiceWorker(window.navigator);
const settings = new PhoneSettingsStore({ storage: browserStorage(window) });
const capabilities = createBrowserCapabilities({ window, settings });
const start = startOnce(createPhoneMesh);
createRoot(root).render(
  <StrictMode>
    <Boot start={start} capabilities={capabilities} settings={settings} />
  </StrictMode>,
);
