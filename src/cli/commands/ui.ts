import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { NodeNotRunningError } from '../../core/index.js';
import { ApiClient, readOwnerToken, runningNode } from '../../client/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';

/** Opens a URL in the desktop's browser when there is a desktop; false when it cannot. */
function openBrowser(url: string, env: NodeJS.ProcessEnv): boolean {
  const opener =
    process.platform === 'darwin'
      ? 'open'
      : process.platform === 'win32'
        ? 'explorer'
        : env.DISPLAY || env.WAYLAND_DISPLAY
          ? 'xdg-open'
          : null;
  if (!opener) return false;
  try {
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}

export function registerUiCommand(program: Command, ctx: CliContext): void {
  program
    .command('ui')
    .description('print the web control panel URL with a one-time login token (and open it)')
    .option('--no-open', 'only print the URL')
    .option('--json', 'print the URL and expiry as JSON')
    .action(async (opts: { open: boolean; json?: boolean }, cmd: Command) => {
      const paths = homeFor(ctx, cmd);
      const running = runningNode(paths.root);
      const token = readOwnerToken(paths.root);
      if (!running?.state || !token) {
        throw new NodeNotRunningError(
          `Atmosphere is not running (home: ${paths.root}); start it with \`atmosphere start\``,
        );
      }
      const client = new ApiClient({ baseUrl: running.state.apiUrl, token, ca: running.state.apiCa });
      const login = await client.createLoginToken({ signal: AbortSignal.timeout(5000) });
      if (opts.json === true) {
        ctx.output.json(login);
        return;
      }
      ctx.output.line(login.url);
      ctx.output.error(`one-time link, valid until ${login.expiresAt}`);
      if (opts.open && ctx.output.stdoutIsTTY && openBrowser(login.url, ctx.env)) {
        ctx.output.error('opened in your browser');
      }
    });
}
