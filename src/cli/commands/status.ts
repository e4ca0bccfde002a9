import type { Command } from 'commander';
import { ApiClient, readOwnerToken, runningNode } from '../../client/index.js';
import type { NodeStatusInfo } from '../../core/index.js';
import { formatTable } from '../output.js';
import { EXIT_CODES } from '../exit-codes.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';
import { nodeIdIfAny } from './shared.js';

function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', `${s}s`].filter(Boolean).join(' ');
}

export function registerStatusCommand(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('show whether the node runs, its id, API URL, uptime, meshes and peers')
    .option('--json', 'print the status as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const paths = homeFor(ctx, cmd);
      const running = runningNode(paths.root);
      const token = readOwnerToken(paths.root);
      if (!running || !running.state || !token) {
        const nodeId = nodeIdIfAny(paths);
        ctx.exit.code = EXIT_CODES.unavailable;
        if (opts.json === true) {
          ctx.output.json({
            running: false,
            nodeId,
            home: paths.root,
            pid: running?.pid ?? null,
          });
        } else if (running) {
          ctx.output.error(
            `the node (pid ${running.pid}) is starting or not answering yet; try again shortly`,
          );
        } else {
          ctx.output.error(
            `Atmosphere is not running (home: ${paths.root}). Start it with \`atmosphere start\`.`,
          );
        }
        return;
      }
      const client = new ApiClient({ baseUrl: running.state.apiUrl, token, ca: running.state.apiCa });
      const status: NodeStatusInfo = await client.status({ signal: AbortSignal.timeout(5000) });
      if (opts.json === true) {
        ctx.output.json({ ...status, home: paths.root });
        return;
      }
      const out = ctx.output;
      out.line(`Atmosphere ${status.version} — node "${status.name}" is ${status.state}`);
      out.line(
        formatTable(
          ['', ''],
          [
            ['node id', status.nodeId],
            ['pid', String(status.pid)],
            ['API', status.apiUrl],
            ['web UI', status.uiUrl],
            ['uptime', formatUptime(status.uptimeSeconds)],
            ['home', paths.root],
            [
              'meshes',
              status.meshes.length
                ? status.meshes.map((m) => `${m.name} (${m.role})`).join(', ')
                : 'none yet — `atmosphere mesh create NAME` or `atmosphere join TOKEN`',
            ],
            [
              'peers',
              `${status.peers.filter((p) => p.connected).length} connected of ${status.peers.length} known`,
            ],
          ],
        )
          .split('\n')
          .slice(1)
          .join('\n'),
      );
    });
}
