import type { Hono } from 'hono';
import type { UiSession } from './ui-sessions.js';

/** Who made an authenticated request. */
export type Principal =
  | { readonly kind: 'owner-token' }
  | { readonly kind: 'ui-session'; readonly session: UiSession; readonly sessionSecret: string };

/** hono environment shared by the app and every route group. */
export interface ApiEnv {
  Variables: {
    /** Set by `requireOwner` on authenticated routes. */
    principal: Principal;
    /** Set when no route matched (keeps raw paths out of metric labels). */
    unmatched: boolean;
  };
}

/** A route group: a hono app mounted at `/` by `createApiApp`. */
export type ApiRoutes = Hono<ApiEnv>;
