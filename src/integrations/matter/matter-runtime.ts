/**
 * Loads matter.js when the bridge starts (never when this module is imported: the CLI and a node
 * without Matter must not pay for it), after setting its process-wide switches so it leaves the
 * process alone: no signal handlers, no unhandled-error traps, no exit codes, no argv, env or config
 * file of its own. Its log goes to the node's logger.
 */
import type * as Main from '@matter/main';
import type * as ColorBehaviors from '@matter/main/behaviors/color-control';
import type * as LockBehaviors from '@matter/main/behaviors/door-lock';
import type * as LevelBehaviors from '@matter/main/behaviors/level-control';
import type * as OnOffBehaviors from '@matter/main/behaviors/on-off';
import type * as ThermostatBehaviors from '@matter/main/behaviors/thermostat';
import type * as Types from '@matter/main/types';
import type { Logger } from '../../core/index.js';

export type MatterMain = typeof Main;

export interface MatterRuntime {
  readonly main: MatterMain;
  readonly types: typeof Types;
  readonly OnOffClient: typeof OnOffBehaviors.OnOffClient;
  readonly LevelControlClient: typeof LevelBehaviors.LevelControlClient;
  readonly ColorControlClient: typeof ColorBehaviors.ColorControlClient;
  readonly DoorLockClient: typeof LockBehaviors.DoorLockClient;
  readonly ThermostatClient: typeof ThermostatBehaviors.ThermostatClient;
}

/** matter.js log levels (its `LogLevel`): DEBUG 0, INFO 1, NOTICE 2, WARN 3, ERROR 4, FATAL 5. */
const WARN = 3;
const ERROR = 4;

/**
 * Imports matter.js configured for embedding. Its platform switches are process-wide and fixed at
 * first import, so one process hosts one bridge; `storagePath` and `networkInterface` are applied to
 * matter.js' default environment each time.
 */
export async function loadMatterRuntime(
  logger: Logger,
  settings: { storagePath: string; networkInterface: string | null },
): Promise<MatterRuntime> {
  const { config } = await import('@matter/nodejs/config');
  try {
    config.trapProcessSignals = false;
    config.trapUnhandledErrors = false;
    config.setProcessExitCodeOnError = false;
    config.loadProcessArgv = false;
    config.loadProcessEnv = false;
    config.loadConfigFile = false;
    config.defaultStoragePath = settings.storagePath;
  } catch {
    // matter.js was already initialized in this process (a second bridge): its switches stay as set
  }
  const [main, types, onOff, level, color, lock, thermostat] = await Promise.all([
    import('@matter/main'),
    import('@matter/main/types'),
    import('@matter/main/behaviors/on-off'),
    import('@matter/main/behaviors/level-control'),
    import('@matter/main/behaviors/color-control'),
    import('@matter/main/behaviors/door-lock'),
    import('@matter/main/behaviors/thermostat'),
  ]);
  const vars = main.Environment.default.vars;
  vars.set('storage.path', settings.storagePath);
  if (settings.networkInterface !== null) vars.set('mdns.networkInterface', settings.networkInterface);
  main.Logger.format = 'plain';
  main.Logger.level = WARN;
  const destination = main.Logger.destinations.default;
  if (destination) {
    destination.write = (text: string, message: { level: number; facility?: string }) => {
      const fields = { facility: message.facility ?? 'matter' };
      // matter.js' plain lines start with its own time, level and facility: the logger adds those
      const line = text.trim().replace(/^\d{4}-\d\d-\d\d \S+ +[A-Z]+ +\S+ +/, '');
      if (message.level >= ERROR) logger.error(fields, line);
      else if (message.level >= WARN) logger.warn(fields, line);
      else logger.debug(fields, line);
    };
  }
  return {
    main,
    types,
    OnOffClient: onOff.OnOffClient,
    LevelControlClient: level.LevelControlClient,
    ColorControlClient: color.ColorControlClient,
    DoorLockClient: lock.DoorLockClient,
    ThermostatClient: thermostat.ThermostatClient,
  };
}
