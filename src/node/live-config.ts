/**
 * The node's configuration while it runs. The owner may change what the node exposes at any time —
 * with `atmosphere approve`, `atmosphere config set`, `PUT /api/exposure` or an editor — and the node
 * follows within a second or two: it watches `config.yaml`, re-resolves it with the environment and
 * flags it started with, and tells its listeners (the capability service re-announces, the limiter
 * and the exposure check read `current`). A file that becomes invalid is reported in the log and
 * ignored: the node keeps its last good configuration. Sections that only apply at start (ports,
 * hosts, the mesh transports) are logged as "takes effect after a restart".
 */
import type { FSWatcher, StatWatcher } from 'node:fs';
import { watch, watchFile, unwatchFile } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { ConfigInput, Logger, ResolvedConfig, Startable } from '../core/index.js';
import { toAtmosphereError } from '../core/index.js';
import { loadConfig } from './config-file.js';

/** Sections that change behaviour while the node runs; anything else needs a restart. */
export const LIVE_CONFIG_SECTIONS = ['expose', 'limits', 'access', 'scan', 'triggers', 'cost'] as const;

/** How often the file's metadata is polled, besides the directory watch (which can miss editors' renames). */
export const CONFIG_POLL_INTERVAL_MS = 1_000;

export interface LiveConfigComponents {
  readonly logger: Logger;
}

export interface LiveConfigInit {
  readonly path: string;
  readonly initial: ResolvedConfig;
  readonly env?: NodeJS.ProcessEnv;
  readonly flags?: ConfigInput;
  readonly pollIntervalMs?: number;
}

export type ConfigListener = (config: ResolvedConfig, previous: ResolvedConfig) => void;

export class LiveConfig implements Startable {
  private readonly log: Logger;
  private readonly init: LiveConfigInit;
  private config: ResolvedConfig;
  private readonly listeners = new Set<ConfigListener>();
  private dirWatcher: FSWatcher | null = null;
  private statWatcher: StatWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private lastError: string | null = null;

  constructor(components: LiveConfigComponents, init: LiveConfigInit) {
    this.log = components.logger;
    this.init = init;
    this.config = init.initial;
  }

  get current(): ResolvedConfig {
    return this.config;
  }

  /** Why the file on disk is not in effect, or null when it is. */
  get error(): string | null {
    return this.lastError;
  }

  /** Calls `listener` after each change; returns the function that removes it. */
  onChange(listener: ConfigListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Re-reads the file now. Returns true when the configuration changed. An invalid file leaves the
   * configuration as it was and is reported (`error`, the log) rather than thrown.
   */
  reload(): boolean {
    let next: ResolvedConfig;
    try {
      next = loadConfig({
        path: this.init.path,
        ...(this.init.env === undefined ? {} : { env: this.init.env }),
        ...(this.init.flags === undefined ? {} : { flags: this.init.flags }),
      }).config;
    } catch (err) {
      const message = toAtmosphereError(err).message;
      if (message !== this.lastError) {
        this.log.error(
          { err: message },
          'config.yaml is invalid; the node keeps its last good configuration',
        );
      }
      this.lastError = message;
      return false;
    }
    this.lastError = null;
    const previous = this.config;
    if (JSON.stringify(next) === JSON.stringify(previous)) return false;
    this.config = next;
    const changed = Object.keys(next).filter(
      (k) =>
        JSON.stringify(next[k as keyof ResolvedConfig]) !==
        JSON.stringify(previous[k as keyof ResolvedConfig]),
    );
    const later = changed.filter((k) => !(LIVE_CONFIG_SECTIONS as readonly string[]).includes(k));
    this.log.info({ sections: changed.join(',') }, 'configuration changed');
    if (later.length > 0) {
      this.log.warn({ sections: later.join(',') }, 'these changes take effect after a restart');
    }
    for (const listener of this.listeners) {
      try {
        listener(next, previous);
      } catch (err) {
        this.log.error({ err: toAtmosphereError(err).message }, 'a configuration listener failed');
      }
    }
    return true;
  }

  start(): Promise<void> {
    if (this.statWatcher !== null) return Promise.resolve();
    const schedule = (): void => {
      if (this.debounce) clearTimeout(this.debounce);
      this.debounce = setTimeout(() => {
        this.debounce = null;
        this.reload();
      }, 100);
      this.debounce.unref();
    };
    const file = basename(this.init.path);
    try {
      // Editors and atomic writers replace the file by renaming: watch its folder for that name.
      this.dirWatcher = watch(dirname(this.init.path), { persistent: false }, (_event, name) => {
        if (name === null || name.toString() === file) schedule();
      });
      this.dirWatcher.on('error', () => undefined);
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'cannot watch the config folder; polling only');
    }
    this.statWatcher = watchFile(
      this.init.path,
      { persistent: false, interval: this.init.pollIntervalMs ?? CONFIG_POLL_INTERVAL_MS },
      (now, before) => {
        if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino || now.size !== before.size) schedule();
      },
    );
    return Promise.resolve();
  }

  stop(): Promise<void> {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = null;
    this.dirWatcher?.close();
    this.dirWatcher = null;
    if (this.statWatcher) unwatchFile(this.init.path);
    this.statWatcher = null;
    return Promise.resolve();
  }
}
