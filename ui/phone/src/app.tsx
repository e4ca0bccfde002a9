/**
 * The phone app's shell: `Boot` starts the mesh runtime, `App` shows the join screen until this
 * phone is a member, then four screens behind a bottom tab bar (Home, Capabilities, Chat,
 * Requests). The owner's exposure choices live in the settings store; every change is handed to
 * the runtime with `mesh.setExposed`, which announces the capabilities and runs their triggers.
 */
import type { ReactElement } from 'react';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { PhoneCapability, PhoneMesh, PhoneMeshStatus } from './contract.js';
import { errorText } from './format.js';
import { CapabilitiesScreen } from './screens/capabilities.js';
import { ChatScreen } from './screens/chat.js';
import { HomeScreen } from './screens/home.js';
import { JoinScreen } from './screens/join.js';
import { RequestsScreen } from './screens/requests.js';
import type { PhoneSettings, PhoneSettingsStore } from './settings.js';

export const TABS = [
  { id: 'home', title: 'Home' },
  { id: 'capabilities', title: 'Capabilities' },
  { id: 'chat', title: 'Chat' },
  { id: 'requests', title: 'Requests' },
] as const;

export type TabId = (typeof TABS)[number]['id'];

/** The runtime's status, kept current. */
export function useMeshStatus(mesh: PhoneMesh): PhoneMeshStatus {
  const [status, setStatus] = useState(() => mesh.status());
  useEffect(() => {
    setStatus(mesh.status());
    return mesh.onStatus(setStatus);
  }, [mesh]);
  return status;
}

/** The owner's settings, kept current. */
export function useSettings(store: PhoneSettingsStore): PhoneSettings {
  const [settings, setSettings] = useState(() => store.get());
  useEffect(() => {
    setSettings(store.get());
    return store.onChange(setSettings);
  }, [store]);
  return settings;
}

export interface Exposure {
  readonly exposed: readonly string[];
  /** Why the last change could not be saved or announced, or null. */
  readonly error: string | null;
  /** Saves the set and hands it to the runtime (calls are applied in order). */
  readonly setExposedIds: (ids: readonly string[]) => void;
  /** Hands the saved set to the runtime again (at start and after joining). */
  readonly resync: () => void;
}

function useExposure(
  mesh: PhoneMesh,
  capabilities: readonly PhoneCapability[],
  settings: PhoneSettingsStore,
): Exposure {
  const { exposed } = useSettings(settings);
  const [error, setError] = useState<string | null>(null);
  const queue = useRef<Promise<void>>(Promise.resolve());

  const announce = useCallback(
    (ids: readonly string[]) => {
      const chosen = capabilities.filter((c) => ids.includes(c.spec.id));
      const run = queue.current.then(() => mesh.setExposed(chosen));
      queue.current = run.then(
        () => setError(null),
        (err: unknown) => setError(`The mesh was not told about this change: ${errorText(err)}`),
      );
    },
    [mesh, capabilities],
  );

  const setExposedIds = useCallback(
    (ids: readonly string[]) => {
      try {
        settings.setExposed(ids);
      } catch (err) {
        setError(errorText(err));
        return;
      }
      announce(ids);
    },
    [settings, announce],
  );

  const resync = useCallback(() => announce(settings.get().exposed), [settings, announce]);

  return { exposed, error, setExposedIds, resync };
}

export interface AppProps {
  readonly mesh: PhoneMesh;
  readonly capabilities: readonly PhoneCapability[];
  readonly settings: PhoneSettingsStore;
}

export function App(props: AppProps): ReactElement {
  const { mesh, capabilities, settings } = props;
  const status = useMeshStatus(mesh);
  const exposure = useExposure(mesh, capabilities, settings);
  const [tab, setTab] = useState<TabId>('home');
  const { resync } = exposure;
  const firstTab = useRef(true);

  useEffect(() => {
    resync();
  }, [resync]);

  useEffect(() => {
    // a new screen's heading takes focus (not on the first one: the page just loaded)
    if (firstTab.current) firstTab.current = false;
    else document.getElementById('screen-title')?.focus();
  }, [tab]);

  if (status.state === 'not-joined') {
    return (
      <div className="app">
        <header className="top">
          <span className="brand">Atmosphere</span>
        </header>
        <main className="screen">
          <JoinScreen mesh={mesh} status={status} onJoined={resync} />
        </main>
      </div>
    );
  }

  const meshName = status.meshes.map((m) => m.name).join(', ');
  return (
    <div className="app">
      <header className="top">
        <span className="brand">Atmosphere</span>
        {meshName !== '' && <span className="mesh-name">{meshName}</span>}
      </header>
      <main className="screen">
        {tab === 'home' && <HomeScreen mesh={mesh} status={status} />}
        {tab === 'capabilities' && (
          <CapabilitiesScreen capabilities={capabilities} settings={settings} exposure={exposure} />
        )}
        {tab === 'chat' && <ChatScreen mesh={mesh} status={status} />}
        {tab === 'requests' && <RequestsScreen mesh={mesh} />}
      </main>
      <nav className="tabs" aria-label="Screens">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            className={`tab tab-${t.id}`}
            aria-current={t.id === tab ? 'page' : undefined}
            onClick={() => setTab(t.id)}
          >
            {t.title}
          </button>
        ))}
      </nav>
    </div>
  );
}

/** Every screen's heading: focused when the screen changes, for screen reader users. */
export function ScreenTitle(props: { children: string }): ReactElement {
  return (
    <h1 id="screen-title" tabIndex={-1}>
      {props.children}
    </h1>
  );
}

export interface BootProps {
  /** Starts the mesh runtime (`createPhoneMesh`). */
  readonly start: () => Promise<PhoneMesh>;
  readonly capabilities: readonly PhoneCapability[];
  readonly settings: PhoneSettingsStore;
}

/** Starts the runtime, then shows the app; a failed start can be retried. */
export function Boot(props: BootProps): ReactElement {
  const { start } = props;
  const [mesh, setMesh] = useState<PhoneMesh | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    setError(null);
    start().then(
      (started) => {
        if (current) setMesh(started);
      },
      (err: unknown) => {
        if (current) setError(errorText(err));
      },
    );
    return () => {
      current = false;
    };
  }, [start, attempt]);

  if (mesh !== null) return <App mesh={mesh} capabilities={props.capabilities} settings={props.settings} />;
  return (
    <div className="app">
      <header className="top">
        <span className="brand">Atmosphere</span>
      </header>
      <main className="screen boot">
        {error === null ? (
          <p role="status">Starting Atmosphere…</p>
        ) : (
          <>
            <p className="error" role="alert">
              Atmosphere could not start on this phone: {error}
            </p>
            <button type="button" onClick={() => setAttempt((a) => a + 1)}>
              Try again
            </button>
          </>
        )}
      </main>
    </div>
  );
}
