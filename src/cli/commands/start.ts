import type { Command } from 'commander';
import { Option } from 'commander';
import { InvalidInputError } from '../../core/index.js';
import type { ConfigInput } from '../../core/index.js';
import { exitProcess } from '../exit-codes.js';
import { launchBackgroundNode, loadConfig, runNodeInForeground } from '../../node/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';

interface StartOptions {
  port?: string;
  p2pPort?: string;
  wsPort?: string;
  p2pHost?: string;
  host?: string;
  name?: string;
  mdns?: boolean;
  relay?: boolean;
  logLevel?: string;
  foreground?: boolean;
  daemonChild?: boolean;
  json?: boolean;
  timeout?: string;
}

function parsePort(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidInputError(`${flag} expects a port number from 0 to 65535, got "${value}"`);
  }
  return n;
}

/** Start flags as a config layer (highest precedence; see docs/CONFIG.md). */
export function flagsToConfig(opts: StartOptions): ConfigInput {
  const api: NonNullable<ConfigInput['api']> = {};
  const mesh: NonNullable<ConfigInput['mesh']> = {};
  const flags: ConfigInput = {};
  if (opts.port !== undefined) api.port = parsePort(opts.port, '--port');
  if (opts.host !== undefined) api.host = opts.host;
  if (opts.p2pPort !== undefined) mesh.tcp_port = parsePort(opts.p2pPort, '--p2p-port');
  if (opts.wsPort !== undefined) mesh.ws_port = parsePort(opts.wsPort, '--ws-port');
  if (opts.p2pHost !== undefined) mesh.listen_host = opts.p2pHost;
  if (opts.mdns === false) mesh.mdns = false;
  if (opts.relay === true) mesh.relay = true;
  if (Object.keys(api).length > 0) flags.api = api;
  if (Object.keys(mesh).length > 0) flags.mesh = mesh;
  if (opts.name !== undefined) flags.node = { name: opts.name };
  if (opts.logLevel !== undefined) flags.log = { level: opts.logLevel as 'info' };
  return flags;
}

/** The same flags, to pass through to the background process. */
function passThrough(opts: StartOptions): string[] {
  const args: string[] = [];
  if (opts.port !== undefined) args.push('--port', opts.port);
  if (opts.p2pPort !== undefined) args.push('--p2p-port', opts.p2pPort);
  if (opts.wsPort !== undefined) args.push('--ws-port', opts.wsPort);
  if (opts.p2pHost !== undefined) args.push('--p2p-host', opts.p2pHost);
  if (opts.host !== undefined) args.push('--host', opts.host);
  if (opts.name !== undefined) args.push('--name', opts.name);
  if (opts.mdns === false) args.push('--no-mdns');
  if (opts.relay === true) args.push('--relay');
  if (opts.logLevel !== undefined) args.push('--log-level', opts.logLevel);
  return args;
}

export function registerStartCommand(program: Command, ctx: CliContext): void {
  program
    .command('start')
    .description('start the node (in the background unless --foreground)')
    .option('--port <n>', 'HTTP API port (config api.port; 0 picks a free port)')
    .option('--host <addr>', 'HTTP API bind address (config api.host; default 127.0.0.1)')
    .option('--p2p-port <n>', 'mesh TCP port (config mesh.tcp_port)')
    .option('--ws-port <n>', 'mesh WebSocket port (config mesh.ws_port)')
    .option('--p2p-host <addr>', 'address the mesh listens on (config mesh.listen_host; default 0.0.0.0)')
    .option('--name <name>', 'node name (config node.name)')
    .option('--no-mdns', 'no LAN discovery (config mesh.mdns=false)')
    .option('--relay', 'serve as a circuit relay for members behind NAT (config mesh.relay)')
    .option('--log-level <level>', 'trace|debug|info|warn|error (config log.level)')
    .option('--foreground', 'run in this terminal until Ctrl-C (for containers and service managers)')
    .option('--timeout <seconds>', 'how long to wait for the node to become ready', '30')
    .option('--json', 'print the started node as JSON')
    .addOption(new Option('--daemon-child', 'run as the background process of `atmosphere start`').hideHelp())
    .action(async (opts: StartOptions, cmd: Command) => {
      const paths = homeFor(ctx, cmd);
      const flags = flagsToConfig(opts);
      const out = ctx.output;
      if (opts.foreground === true) {
        await runNodeInForeground({
          homeDir: paths.root,
          env: ctx.env,
          flags,
          echo: opts.daemonChild === true ? null : process.stdout,
          onReady: (state, warnings) => {
            if (opts.daemonChild === true) return;
            for (const w of warnings) out.error(`warning: ${w}`);
            out.line(`Atmosphere node "${state.name}" is running (pid ${state.pid})`);
            out.line(`  node id  ${state.nodeId}`);
            out.line(`  API      ${state.apiUrl}`);
            out.line('  web UI   run `atmosphere ui` for a login link');
            out.line('Press Ctrl-C to stop.');
          },
          onForceExit: () => exitProcess(130),
        });
        return;
      }
      // Validate the configuration here so a mistake is reported with its file and line at once.
      const { warnings } = loadConfig({ path: paths.config, env: ctx.env, flags });
      for (const w of warnings) out.error(`warning: ${w}`);
      const timeoutSeconds = Number(opts.timeout ?? '30');
      if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
        throw new InvalidInputError(`--timeout expects a positive number of seconds, got "${opts.timeout}"`);
      }
      if (opts.json !== true) out.error('starting the Atmosphere node ...');
      const state = await launchBackgroundNode({
        entryScript: ctx.entryScript,
        homeDir: paths.root,
        args: passThrough(opts),
        env: ctx.env,
        readyTimeoutMs: timeoutSeconds * 1000,
      });
      if (opts.json === true) {
        out.json({ ...state, home: paths.root, logFile: paths.logFile });
        return;
      }
      out.line(`Atmosphere node "${state.name}" started (pid ${state.pid})`);
      out.line(`  node id  ${state.nodeId}`);
      out.line(`  API      ${state.apiUrl}`);
      out.line(`  web UI   ${state.uiUrl}  (run \`atmosphere ui\` for a login link)`);
      out.line(`  logs     ${paths.logFile}  (\`atmosphere logs -f\`)`);
    });
}
