import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { NotFoundError } from '../../core/index.js';
import type { ApiEnv, ApiRoutes } from '../env.js';
import { UI_NOT_BUILT_PAGE } from '../pages.js';
import { SESSION_COOKIE } from '../../core/index.js';
import type { UiSessions } from '../ui-sessions.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
};

/** Vite puts content-hashed files under `assets/`; those never change and can be cached for good. */
const IMMUTABLE_PREFIX = 'assets/';

export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The path segments under `prefix` (`/ui/`, `/phone/`) of a request URL, or undefined when any
 * segment could escape the folder or name a hidden file (`..`, `.env`, encoded slashes, NUL bytes).
 */
export function pathSegmentsUnder(requestUrl: string, prefix: string): string[] | undefined {
  const pathname = new URL(requestUrl).pathname;
  const rest = pathname === prefix.replace(/\/$/, '') ? '' : pathname.slice(prefix.length);
  const segments: string[] = [];
  for (const raw of rest.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment.startsWith('.') || /[/\\\0]/.test(segment)) return undefined;
    segments.push(segment);
  }
  return segments;
}

/** The path segments under `/ui/` (see `pathSegmentsUnder`). */
export function uiPathSegments(requestUrl: string): string[] | undefined {
  return pathSegmentsUnder(requestUrl, '/ui/');
}

export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The real path of `file` if it is a regular file inside `root` (symlinks resolved), else undefined. */
async function fileInside(root: string, file: string): Promise<string | undefined> {
  try {
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(file)]);
    if (!realFile.startsWith(realRoot + sep)) return undefined;
    return (await stat(realFile)).isFile() ? realFile : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A file of a built web app in `dir` served under `prefix`: content-hashed `assets/` cached for
 * good, anything else revalidated; a path without an extension is a client-side route and gets
 * `index.html`; anything outside `dir` (or hidden) is a 404.
 */
export async function builtFile(
  c: Context<ApiEnv>,
  dir: string,
  prefix: string,
  what: string,
): Promise<Response> {
  const segments = pathSegmentsUnder(c.req.url, prefix);
  if (segments === undefined) throw new NotFoundError(`no such file in ${what}: ${c.req.path}`);
  const relative = segments.join('/');
  let file = relative === '' ? undefined : await fileInside(dir, join(dir, ...segments));
  const immutable = file !== undefined && relative.startsWith(IMMUTABLE_PREFIX);
  if (file === undefined) {
    if (extname(segments.at(-1) ?? '') !== '')
      throw new NotFoundError(`no such file in ${what}: ${c.req.path}`);
    file = await fileInside(dir, join(dir, 'index.html'));
    if (file === undefined) throw new NotFoundError(`${what} has no index.html`);
  }
  const content = await readFile(file);
  return c.body(content, 200, {
    'Content-Type': contentTypeFor(file),
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
}

/**
 * The web panel at `/ui/`: the built files from `uiDir` for a signed-in browser (with `index.html`
 * for client-side routes), a redirect to the sign-in page otherwise, and an honest page when this
 * build has no web panel. `/` leads to `/ui/`.
 */
export function uiRoutes(deps: { uiDir: string | null; sessions: UiSessions }): ApiRoutes {
  const routes = new Hono<ApiEnv>();

  routes.get('/', (c) => c.redirect('/ui/', 302));
  routes.get('/ui', (c) => c.redirect('/ui/', 302));

  routes.get('/ui/*', async (c) => {
    const uiDir = deps.uiDir;
    const built = uiDir !== null && (await isFile(join(uiDir, 'index.html')));
    if (!built) return c.html(UI_NOT_BUILT_PAGE, c.req.path === '/ui/' ? 200 : 404);

    const secret = getCookie(c, SESSION_COOKIE);
    if (secret === undefined || deps.sessions.findSession(secret) === undefined)
      return c.redirect('/ui/login', 302);

    return await builtFile(c, uiDir, '/ui/', 'the web panel');
  });

  return routes;
}
