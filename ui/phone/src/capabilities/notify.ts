/**
 * `phone/notify` (`notify/push`): `notify` shows a notification on the phone. The browser's
 * permission is asked on first use; it is shown through the service worker's registration when
 * there is one (the only way on Android), else with `new Notification`.
 */
import { z } from 'zod';
import { ForbiddenError, UnavailableError } from '../../../../src/core/index.js';
import type { PhoneCapability, PhoneCapabilitySpec, TriggerEmitter } from '../contract.js';
import { parseArgs, throwIfAborted, toolSpecs, unknownTool } from './tools.js';

/** The static side of the browser's `Notification`. */
export interface NotificationApi {
  readonly permission: NotificationPermission;
  requestPermission(): Promise<NotificationPermission>;
  new (title: string, options?: NotificationOptions): object;
}

export interface NotifyCapabilityComponents {
  readonly Notification: NotificationApi | undefined;
  readonly serviceWorker: Pick<ServiceWorkerContainer, 'getRegistration'> | undefined;
}

export interface NotifyCapabilityInit {
  /** The icon shown beside the notification. Default `/phone/icons/icon-192.png`. */
  readonly icon?: string;
  /** The service worker scope to show notifications through. Default `/phone/`. */
  readonly scope?: string;
}

export const notifyArgs = {
  notify: z.strictObject({
    title: z.string().trim().min(1).max(200),
    body: z.string().max(2000).optional(),
    tag: z.string().min(1).max(100).optional(),
  }),
};

const ID = 'phone/notify';

const TOOLS = [
  {
    name: 'notify',
    description:
      'Show a notification on the phone: title, optional body, optional tag (a new notification with the same tag replaces the old one).',
    args: notifyArgs.notify,
  },
];

export class NotifyCapability implements PhoneCapability {
  readonly label = 'Notifications';
  readonly spec: PhoneCapabilitySpec = {
    id: ID,
    type: 'notify/push',
    description: 'Notifications on the phone: show the owner a message with a title and a short text.',
    tools: toolSpecs(TOOLS),
    triggers: [],
    metadata: { platform: 'browser', device: 'phone' },
  };

  private readonly components: NotifyCapabilityComponents;
  private readonly icon: string;
  private readonly scope: string;

  constructor(components: NotifyCapabilityComponents, init: NotifyCapabilityInit = {}) {
    this.components = components;
    this.icon = init.icon ?? '/phone/icons/icon-192.png';
    this.scope = init.scope ?? '/phone/';
  }

  async run(tool: string, args: Record<string, unknown>, options: { signal: AbortSignal }): Promise<unknown> {
    if (tool !== 'notify')
      throw unknownTool(
        ID,
        tool,
        TOOLS.map((t) => t.name),
      );
    const { title, body, tag } = parseArgs(ID, tool, notifyArgs.notify, args);
    throwIfAborted(options.signal, 'notify');
    const { Notification: Api, serviceWorker } = this.components;
    if (Api === undefined) throw new UnavailableError('this browser cannot show notifications');
    let permission = Api.permission;
    if (permission === 'default') permission = await Api.requestPermission();
    if (permission !== 'granted') {
      throw new ForbiddenError(
        permission === 'denied'
          ? 'the owner blocked notifications for this app on the phone'
          : 'the owner has not allowed notifications on this phone yet',
      );
    }
    throwIfAborted(options.signal, 'notify');
    const notification: NotificationOptions = {
      icon: this.icon,
      ...(body === undefined ? {} : { body }),
      ...(tag === undefined ? {} : { tag }),
    };
    const registration = await serviceWorker?.getRegistration(this.scope).catch(() => undefined);
    if (registration !== undefined) await registration.showNotification(title, notification);
    else new Api(title, notification);
    return { shown: true };
  }

  watch(_emit: TriggerEmitter): () => void {
    return () => undefined;
  }
}
