import type { Command } from 'commander';
import type { CliContext } from '../context.js';

type Registrar = (program: Command, ctx: CliContext) => void;

/**
 * Every command, loaded on demand: a command line loads only the module of the command it names,
 * so `atmosphere status` does not pay for SQLite, libp2p or the HTTP server. Help and unknown
 * commands load them all.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Registrar>>> = {
  init: async () => (await import('./init.js')).registerInitCommand,
  start: async () => (await import('./start.js')).registerStartCommand,
  stop: async () => (await import('./stop.js')).registerStopCommand,
  status: async () => (await import('./status.js')).registerStatusCommand,
  logs: async () => (await import('./logs.js')).registerLogsCommand,
  ui: async () => (await import('./ui.js')).registerUiCommand,
  config: async () => (await import('./config.js')).registerConfigCommand,
  mesh: async () => (await import('./mesh.js')).registerMeshCommand,
  leave: async () => (await import('./mesh.js')).registerLeaveCommand,
  invite: async () => (await import('./invite.js')).registerInviteCommand,
  join: async () => (await import('./join.js')).registerJoinCommand,
  revoke: async () => (await import('./revoke.js')).registerRevokeCommand,
  route: async () => (await import('./route.js')).registerRouteCommand,
  call: async () => (await import('./call.js')).registerCallCommand,
  events: async () => (await import('./events.js')).registerEventsCommand,
  trigger: async () => (await import('./events.js')).registerTriggerCommand,
  scan: async () => (await import('./scan.js')).registerScanCommand,
  approve: async () => (await import('./approve.js')).registerApproveCommand,
  cost: async () => (await import('./cost.js')).registerCostCommand,
  service: async () => (await import('./service.js')).registerServiceCommand,
  matter: async () => (await import('./matter.js')).registerMatterCommand,
};

export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

/** The command a command line names: the first argument that is not an option (or an option's value). */
export function commandNameOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--home') {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}

export async function registerCommands(
  program: Command,
  ctx: CliContext,
  args: readonly string[],
): Promise<void> {
  const name = commandNameOf(args);
  if (name === undefined && (args.includes('--version') || args.includes('-V'))) return;
  const chosen = name !== undefined && name in COMMANDS ? [name] : COMMAND_NAMES;
  for (const registrar of await Promise.all(chosen.map((n) => COMMANDS[n]!()))) registrar(program, ctx);
}
