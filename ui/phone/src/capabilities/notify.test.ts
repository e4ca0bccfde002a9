import { describe, expect, it } from 'vitest';
import { NotifyCapability } from './notify.js';
import type { NotificationApi } from './notify.js';

const signal = (): AbortSignal => new AbortController().signal;

function fakeNotification(permission: NotificationPermission, answer: NotificationPermission = permission) {
  const shown: { title: string; options?: NotificationOptions }[] = [];
  let asked = 0;
  const Api = class {
    static permission = permission;
    static requestPermission(): Promise<NotificationPermission> {
      asked++;
      Api.permission = answer;
      return Promise.resolve(answer);
    }
    constructor(title: string, options?: NotificationOptions) {
      shown.push({ title, ...(options === undefined ? {} : { options }) });
    }
  };
  return { Api: Api as NotificationApi, shown, asked: () => asked };
}

function fakeServiceWorker() {
  const shown: { title: string; options?: NotificationOptions }[] = [];
  const scopes: (string | undefined)[] = [];
  const registration = {
    showNotification: (title: string, options?: NotificationOptions) => {
      shown.push({ title, ...(options === undefined ? {} : { options }) });
      return Promise.resolve();
    },
  } as ServiceWorkerRegistration;
  return {
    container: {
      getRegistration: (scope?: string) => {
        scopes.push(scope);
        return Promise.resolve(registration);
      },
    },
    shown,
    scopes,
  };
}

describe('phone/notify', () => {
  it('asks permission on first use and shows through the service worker', async () => {
    const notification = fakeNotification('default', 'granted');
    const worker = fakeServiceWorker();
    const capability = new NotifyCapability({
      Notification: notification.Api,
      serviceWorker: worker.container,
    });
    expect(
      await capability.run(
        'notify',
        { title: 'Door', body: 'front door opened', tag: 'door' },
        { signal: signal() },
      ),
    ).toEqual({
      shown: true,
    });
    expect(notification.asked()).toBe(1);
    expect(worker.scopes).toEqual(['/phone/']);
    expect(worker.shown).toEqual([
      {
        title: 'Door',
        options: { icon: '/phone/icons/icon-192.png', body: 'front door opened', tag: 'door' },
      },
    ]);
    expect(notification.shown).toEqual([]);
    await capability.run('notify', { title: 'Again' }, { signal: signal() });
    expect(notification.asked()).toBe(1);
  });

  it('falls back to new Notification without a service worker', async () => {
    const notification = fakeNotification('granted');
    const capability = new NotifyCapability({ Notification: notification.Api, serviceWorker: undefined });
    await capability.run('notify', { title: 'Hi' }, { signal: signal() });
    expect(notification.shown).toEqual([{ title: 'Hi', options: { icon: '/phone/icons/icon-192.png' } }]);
  });

  it('reports a denied permission clearly', async () => {
    const notification = fakeNotification('default', 'denied');
    const capability = new NotifyCapability({ Notification: notification.Api, serviceWorker: undefined });
    await expect(capability.run('notify', { title: 'x' }, { signal: signal() })).rejects.toMatchObject({
      code: 'forbidden',
      message: 'the owner blocked notifications for this app on the phone',
    });
    expect(notification.shown).toEqual([]);
  });

  it('says so when the browser has no notifications', async () => {
    const capability = new NotifyCapability({ Notification: undefined, serviceWorker: undefined });
    await expect(capability.run('notify', { title: 'x' }, { signal: signal() })).rejects.toMatchObject({
      code: 'unavailable',
    });
  });
});
