import type { Command } from 'commander';
import { InvalidInputError } from '../../core/index.js';
import { stopNodeProcess } from '../../client/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';

export function registerStopCommand(program: Command, ctx: CliContext): void {
  program
    .command('stop')
    .description('stop the background node (graceful, then forced after --timeout)')
    .option('--timeout <seconds>', 'graceful-stop deadline before SIGKILL', '15')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { timeout: string; json?: boolean }, cmd: Command) => {
      const paths = homeFor(ctx, cmd);
      const timeoutSeconds = Number(opts.timeout);
      if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
        throw new InvalidInputError(`--timeout expects a positive number of seconds, got "${opts.timeout}"`);
      }
      const result = await stopNodeProcess(paths.root, { timeoutMs: timeoutSeconds * 1000 });
      if (opts.json === true) {
        ctx.output.json({
          wasRunning: result !== null,
          pid: result?.pid ?? null,
          forced: result?.forced ?? false,
        });
        return;
      }
      if (!result) ctx.output.line(`no Atmosphere node is running (home: ${paths.root})`);
      else if (result.forced)
        ctx.output.line(`node (pid ${result.pid}) did not stop in ${timeoutSeconds}s and was killed`);
      else ctx.output.line(`node stopped (pid ${result.pid})`);
    });
}
