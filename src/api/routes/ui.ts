import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
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
 * The path segments under `/ui/` of a request URL, or undefined when any segment could escape the UI
 * folder or name a hidden file (`..`, `.env`, encoded slashes, NUL bytes).
 */
export function uiPathSegments(requestUrl: string): string[] | undefined {
  const pathname = new URL(requestUrl).pathname;
  const rest = pathname === '/ui' ? '' : pathname.slice('/ui/'.length);
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

async function isFile(path: string): Promise<boolean> {
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

    const segments = uiPathSegments(c.req.url);
    if (segments === undefined) throw new NotFoundError(`no such file in the web panel: ${c.req.path}`);
    const relative = segments.join('/');
    let file = relative === '' ? undefined : await fileInside(uiDir, join(uiDir, ...segments));
    const immutable = file !== undefined && relative.startsWith(IMMUTABLE_PREFIX);
    if (file === undefined) {
      // A path without an extension is a client-side route: the panel's router handles it.
      if (extname(segments.at(-1) ?? '') !== '')
        throw new NotFoundError(`no such file in the web panel: ${c.req.path}`);
      file = await fileInside(uiDir, join(uiDir, 'index.html'));
      if (file === undefined) throw new NotFoundError('the web panel has no index.html');
    }
    const content = await readFile(file);
    return c.body(content, 200, {
      'Content-Type': contentTypeFor(file),
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  });

  return routes;
}
