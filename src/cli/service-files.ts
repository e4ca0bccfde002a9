/**
 * Service definitions for `atmosphere service`: a systemd unit (user or system) or a launchd plist,
 * rendered from the templates in the package's packaging/ folder (the same templates the Debian and
 * RPM packages ship). Rendering is pure; `readServiceTemplate` reads a template file.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidInputError } from '../core/index.js';

export type ServiceManager = 'systemd' | 'launchd';
export type ServiceScope = 'user' | 'system';

/** The unit name (`atmosphere.service`) and launchd label. */
export const SYSTEMD_UNIT_NAME = 'atmosphere.service';
export const LAUNCHD_LABEL = 'dev.atmosphere.node';

export interface ServiceSpec {
  readonly manager: ServiceManager;
  readonly scope: ServiceScope;
  /** The program and arguments that run the CLI; `start --foreground` is appended. */
  readonly command: readonly string[];
  /** The node's home (ATMOSPHERE_HOME). */
  readonly homeDir: string;
  /** System scope: the account the node runs as. */
  readonly user?: string;
}

/** The template file for a manager and scope, relative to the package's packaging/ folder. */
export function serviceTemplateName(manager: ServiceManager, scope: ServiceScope): string {
  if (manager === 'launchd') return join('launchd', `${LAUNCHD_LABEL}.plist`);
  return join('systemd', scope === 'user' ? 'atmosphere-user.service' : 'atmosphere.service');
}

/** The package's packaging/ folder (src/cli, dist/cli and dist/bundle all sit two levels below the root). */
export function packagingDir(): string {
  return fileURLToPath(new URL('../../packaging', import.meta.url));
}

export function readServiceTemplate(
  manager: ServiceManager,
  scope: ServiceScope,
  dir = packagingDir(),
): string {
  return readFileSync(join(dir, serviceTemplateName(manager, scope)), 'utf8');
}

/** The file name the service is installed as. */
export function serviceFileName(manager: ServiceManager): string {
  return manager === 'launchd' ? `${LAUNCHD_LABEL}.plist` : SYSTEMD_UNIT_NAME;
}

/** Where service files go by default: the systemd or launchd directory for the scope. */
export function defaultServiceDir(
  manager: ServiceManager,
  scope: ServiceScope,
  env: NodeJS.ProcessEnv,
  home = homedir(),
): string {
  if (manager === 'launchd') {
    return scope === 'user' ? join(home, 'Library', 'LaunchAgents') : '/Library/LaunchDaemons';
  }
  if (scope === 'system') return '/etc/systemd/system';
  const configHome =
    env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== ''
      ? env.XDG_CONFIG_HOME
      : join(home, '.config');
  return join(configHome, 'systemd', 'user');
}

/**
 * The command that runs this CLI: the executable alone when it is a single executable (the entry
 * script is the executable itself), else node and the entry script.
 */
export function cliCommand(execPath: string, entryScript: string): string[] {
  return entryScript === execPath ? [execPath] : [execPath, entryScript];
}

/**
 * One word of a systemd unit line, quoted when needed, with `%` (specifiers) escaped, and `$`
 * (variable expansion) too when it is a word of an Exec command line.
 */
export function systemdQuote(word: string, options: { exec?: boolean } = {}): string {
  if (/[\n\r]/.test(word)) {
    throw new InvalidInputError(`a service argument cannot contain a line break: ${JSON.stringify(word)}`);
  }
  const specifiersEscaped = word.replace(/%/g, '%%');
  const escaped = options.exec === true ? specifiersEscaped.replace(/\$/g, '$$$$') : specifiersEscaped;
  if (escaped !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function xmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function fill(template: string, values: Readonly<Record<string, string>>): string {
  const out = template.replace(/@([A-Z_]+)@/g, (match, key: string) => values[key] ?? match);
  const left = /@[A-Z_]+@/.exec(out);
  if (left) throw new InvalidInputError(`service template field ${left[0]} has no value`);
  return out;
}

/** The service file for `spec`, from `template` (see readServiceTemplate). */
export function renderServiceFile(spec: ServiceSpec, template: string): string {
  if (spec.command.length === 0) throw new InvalidInputError('the service needs a command to run');
  if (spec.manager === 'launchd') {
    return fill(template, {
      PROGRAM_ARGUMENTS: spec.command.map((a) => `    <string>${xmlEscape(a)}</string>`).join('\n'),
      HOME: xmlEscape(spec.homeDir),
      USER_NAME:
        spec.scope === 'system' && spec.user !== undefined
          ? `  <key>UserName</key>\n  <string>${xmlEscape(spec.user)}</string>\n`
          : '',
    });
  }
  const home = systemdQuote(`ATMOSPHERE_HOME=${spec.homeDir}`);
  return fill(template.replace('Environment=ATMOSPHERE_HOME=@HOME@', `Environment=${home}`), {
    EXEC_START: spec.command.map((w) => systemdQuote(w, { exec: true })).join(' '),
    USER: systemdQuote(spec.user ?? 'root'),
  });
}
