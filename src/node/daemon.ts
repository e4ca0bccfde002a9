import type { RuntimeState } from '../client/index.js';
import { ensureHome, homePaths, readBuildInfo } from '../client/index.js';
import type { ConfigInput, Logger } from '../core/index.js';
import { toAtmosphereError } from '../core/index.js';
import { loadConfig } from './config-file.js';
import type { AtmosphereNode } from './create-node.js';
import { createNode } from './create-node.js';
import { loadOrCreateIdentity } from './identity.js';
import { createFileLogger } from './logger.js';
import { acquirePidFile } from './pid-file.js';
import { removeFile, writeRuntimeState, writeStartError } from './runtime-state.js';
import { installWebSocketGlobal } from './websocket-global.js';

export interface ForegroundOptions {
  readonly homeDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Config set by command-line flags (highest precedence). */
  readonly flags: ConfigInput;
  /** Where people read the log while the node runs in a terminal (null: only the log file). */
  readonly echo: NodeJS.WritableStream | null;
  /** Called once the node answers on its API. */
  readonly onReady?: (state: RuntimeState, warnings: readonly string[]) => void;
  /** Called on a second SIGINT/SIGTERM while stopping: the caller exits at once. */
  readonly onForceExit?: () => void;
}

const systemClock = { now: () => Date.now() };

/**
 * Runs a node in this process until SIGINT/SIGTERM: claims the pid file, starts the node, publishes
 * `run/node.json`, and on a signal stops gracefully (stop accepting, let in-flight work finish
 * within the deadline, close the database). A failure to start is recorded in `run/start-error.json`
 * for the `atmosphere start` that launched this process, then rethrown.
 */
export async function runNodeInForeground(options: ForegroundOptions): Promise<void> {
  installWebSocketGlobal();
  const paths = homePaths(options.homeDir);
  ensureHome(paths);
  removeFile(paths.startError);
  const recordFailure = (err: unknown): never => {
    const e = toAtmosphereError(err);
    writeStartError(paths.startError, {
      pid: process.pid,
      code: e.code,
      message: e.message,
      at: new Date().toISOString(),
    });
    throw e;
  };

  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig({ path: paths.config, env: options.env, flags: options.flags });
  } catch (err) {
    return recordFailure(err);
  }
  const { config, warnings } = loaded;
  const { logger, flush } = createFileLogger({
    file: paths.logFile,
    level: config.log.level,
    echo: options.echo,
    maxFileBytes: config.log.max_file_bytes,
    maxFiles: config.log.max_files,
  });
  const log = logger.child('daemon');
  for (const w of warnings) log.warn(w);

  let lock: ReturnType<typeof acquirePidFile>;
  let node: AtmosphereNode;
  try {
    lock = acquirePidFile(paths.pidFile);
    if (lock.stalePid !== null) {
      log.warn({ stalePid: lock.stalePid }, 'removed the pid file of a node that did not stop cleanly');
      removeFile(paths.runtimeState);
    }
    const { identity } = await loadOrCreateIdentity(paths.identityKey, { logger: log });
    node = createNode({
      home: paths,
      config,
      identity,
      logger,
      clock: systemClock,
      buildInfo: readBuildInfo(),
      env: options.env,
      flags: options.flags,
    });
  } catch (err) {
    log.error({ err: toAtmosphereError(err).toJSON() }, 'node failed to start');
    flush();
    return recordFailure(err);
  }

  try {
    await node.start();
  } catch (err) {
    log.error({ err: toAtmosphereError(err).toJSON() }, 'node failed to start');
    lock.release();
    flush();
    return recordFailure(err);
  }

  const state: RuntimeState = {
    pid: process.pid,
    nodeId: node.status().nodeId,
    name: node.name,
    version: node.status().version,
    apiUrl: node.apiUrl,
    uiUrl: node.uiUrl,
    startedAt: node.status().startedAt,
  };
  writeRuntimeState(paths.runtimeState, state);
  options.onReady?.(state, warnings);

  await waitForShutdown(node, log, options.onForceExit);
  removeFile(paths.runtimeState);
  lock.release();
  flush();
}

function waitForShutdown(node: AtmosphereNode, log: Logger, onForceExit?: () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn({ signal }, 'second signal while stopping: exiting now');
        onForceExit?.();
        return;
      }
      stopping = true;
      log.info({ signal }, 'signal received, stopping');
      node
        .stop()
        .catch((err: unknown) => log.error({ err: toAtmosphereError(err).toJSON() }, 'error while stopping'))
        .finally(() => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve();
        });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
