/**
 * The panel's shell: a header with this node's name, the navigation, and the page for the path
 * under `/ui/`. Navigation is client-side (`history.pushState`); the node serves `index.html` for
 * every page path. A page change moves focus to the new page's heading for keyboard and screen
 * reader users.
 */
import type { MouseEvent, ReactElement } from 'react';
import { useCallback, useEffect, useState } from 'react';
import { errorText } from './api.js';
import type { NodeStatusInfo } from './types.js';
import { useApi, useLoad } from './hooks.js';
import { ActivityPage } from './pages/activity.js';
import { CostPage } from './pages/cost.js';
import { DiscoverPage } from './pages/discover.js';
import { MeshPage } from './pages/mesh.js';
import { PlaygroundPage } from './pages/playground.js';
import { SettingsPage } from './pages/settings.js';

export const PAGES = [
  { path: 'discover', title: 'Discover & approve', Page: DiscoverPage },
  { path: 'settings', title: 'Owner settings', Page: SettingsPage },
  { path: 'mesh', title: 'Mesh', Page: MeshPage },
  { path: 'routing', title: 'Routing playground', Page: PlaygroundPage },
  { path: 'cost', title: 'Cost', Page: CostPage },
  { path: 'activity', title: 'Activity', Page: ActivityPage },
] as const;

export const BASE = '/ui/';

/** The page a location path names; the panel's root and unknown paths show the first page. */
export function pageFor(pathname: string): (typeof PAGES)[number] {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : '';
  const name = rest.split('/')[0] ?? '';
  return PAGES.find((p) => p.path === name) ?? PAGES[0];
}

export function App(props: { initialPath?: string }): ReactElement {
  const api = useApi();
  const [path, setPath] = useState(props.initialPath ?? window.location.pathname);
  const [signedOut, setSignedOut] = useState<string | null>(null);
  const status = useLoad((signal) => api.get<NodeStatusInfo>('/api/status', { signal }), { pollMs: 15_000 });
  const page = pageFor(path);

  useEffect(() => {
    const onPop = (): void => setPath(window.location.pathname);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  useEffect(() => {
    document.title = `${page.title} · Atmosphere`;
  }, [page]);

  const go = useCallback((event: MouseEvent<HTMLAnchorElement>, to: string) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    window.history.pushState(null, '', to);
    setPath(to);
    // after the new page renders, its heading takes focus
    requestAnimationFrame(() => document.getElementById('page-title')?.focus());
  }, []);

  const signOut = (): void => {
    api.json('DELETE', '/api/ui/session').then(
      () => setSignedOut('You are signed out. Run `atmosphere ui` to sign in again.'),
      (err: unknown) => setSignedOut(`Signing out failed: ${errorText(err)}`),
    );
  };

  if (signedOut !== null) {
    return (
      <main className="page signed-out">
        <h1>Atmosphere</h1>
        <p role="status">{signedOut}</p>
      </main>
    );
  }

  const { Page } = page;
  return (
    <>
      <a className="skip-link" href="#page-title">
        Skip to content
      </a>
      <header className="top">
        <div className="brand">
          <span className="brand-name">Atmosphere</span>
          <span className="node-name" aria-label="this node">
            {status.data ? `${status.data.name} · ${status.data.state}` : (status.error ?? '…')}
          </span>
        </div>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map((p) => (
              <li key={p.path}>
                <a
                  href={`${BASE}${p.path}`}
                  aria-current={p === page ? 'page' : undefined}
                  onClick={(e) => go(e, `${BASE}${p.path}`)}
                >
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" className="secondary sign-out" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main className="page" id="main">
        <Page />
      </main>
    </>
  );
}

/** Every page's heading: the target of "skip to content" and of focus after navigation. */
export function PageTitle(props: { children: string }): ReactElement {
  return (
    <h1 id="page-title" tabIndex={-1}>
      {props.children}
    </h1>
  );
}
