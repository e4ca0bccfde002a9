/** Registers the app's service worker (offline app shell, notifications); failing is not fatal. */
export const SERVICE_WORKER_URL = '/phone/sw.js';
export const APP_SCOPE = '/phone/';

export async function registerServiceWorker(navigator: Navigator): Promise<ServiceWorkerRegistration | null> {
  if (!('serviceWorker' in navigator)) return null;
  try {
    return await navigator.serviceWorker.register(SERVICE_WORKER_URL, { scope: APP_SCOPE });
  } catch {
    // plain HTTP, private mode or a blocked worker: the app still works, only not offline
    return null;
  }
}
