/**
 * The phone app at `/phone/`: an installable web app (manifest, service worker, icons) that makes a
 * phone a member of the mesh in its own right. It is public like any web page — it holds nothing of
 * this node's: the phone joins with an invite and talks to the mesh over libp2p, never through
 * this API. Served from the build in `phoneDir` (ui/dist-phone), under its own CSP.
 */
import { join } from 'node:path';
import { Hono } from 'hono';
import type { ApiEnv, ApiRoutes } from '../env.js';
import { PHONE_NOT_BUILT_PAGE } from '../pages.js';
import { builtFile, isFile } from './ui.js';

export function phoneRoutes(deps: { phoneDir: string | null }): ApiRoutes {
  const routes = new Hono<ApiEnv>();

  routes.get('/phone', (c) => c.redirect('/phone/', 302));

  routes.get('/phone/*', async (c) => {
    const dir = deps.phoneDir;
    const built = dir !== null && (await isFile(join(dir, 'index.html')));
    if (!built) return c.html(PHONE_NOT_BUILT_PAGE, c.req.path === '/phone/' ? 200 : 404);
    return await builtFile(c, dir, '/phone/', 'the phone app');
  });

  return routes;
}
