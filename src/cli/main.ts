import { Command, CommanderError } from 'commander';
import type { CliContext } from './context.js';
import { defaultContext } from './context.js';
import { EXIT_CODES, reportError, setExitCode } from './exit-codes.js';
import { processOutput } from './output.js';
import { registerCommands } from './commands/index.js';

/**
 * Builds the `atmosphere` program for a command line (`argv` as in `process.argv`); exported so tests
 * can run commands in-process.
 */
export async function buildProgram(ctx: CliContext, argv: readonly string[]): Promise<Command> {
  const program = new Command('atmosphere')
    .description('Atmosphere: a private mesh that routes work to capability.')
    .option('--home <dir>', 'home directory (default: $ATMOSPHERE_HOME or ~/.atmosphere)')
    .version(
      `${ctx.buildInfo.version} (${ctx.buildInfo.commit})`,
      '-V, --version',
      'print version and commit',
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.output.write(s),
      writeErr: (s) => ctx.output.error(s.trimEnd()),
    });
  await registerCommands(program, ctx, argv.slice(2));
  return program;
}

/** Runs one command line; returns the exit code instead of exiting. */
export async function runCli(ctx: CliContext, argv: readonly string[]): Promise<number> {
  const program = await buildProgram(ctx, argv);
  try {
    await program.parseAsync([...argv]);
    return ctx.exit.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit with 0; usage errors were already printed by commander
      return err.exitCode === 0 ? 0 : EXIT_CODES.usage;
    }
    const json = argv.includes('--json');
    return reportError(ctx.output, err, { json });
  }
}

export async function main(argv: readonly string[]): Promise<void> {
  const entry = argv[1] ?? '';
  const code = await runCli(defaultContext(processOutput(), entry), argv);
  setExitCode(code);
}
