import type { Command } from 'commander';
import type { BuildInfo, HomePaths } from '../client/index.js';
import { homePaths, readBuildInfo, resolveHomeDir } from '../client/index.js';
import type { Output } from './output.js';

/** What every command needs from the outside world; tests build one with a captured Output. */
export interface CliContext {
  readonly output: Output;
  readonly env: NodeJS.ProcessEnv;
  readonly buildInfo: BuildInfo;
  /** The script that runs this CLI (used to launch a background node). */
  readonly entryScript: string;
  /** A command that succeeds but must exit non-zero (e.g. `status` of a stopped node) sets this. */
  readonly exit: { code: number };
}

interface GlobalOptions {
  home?: string;
}

/** The home paths for this invocation: `--home` > `ATMOSPHERE_HOME` > `~/.atmosphere`. */
export function homeFor(ctx: CliContext, cmd: Command): HomePaths {
  const opts = cmd.optsWithGlobals<GlobalOptions>();
  return homePaths(resolveHomeDir({ flag: opts.home, env: ctx.env }));
}

export function defaultContext(output: Output, entryScript: string): CliContext {
  return { output, env: process.env, buildInfo: readBuildInfo(), entryScript, exit: { code: 0 } };
}
