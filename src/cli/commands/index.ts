import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerConfigCommand } from './config.js';
import { registerInitCommand } from './init.js';
import { registerLogsCommand } from './logs.js';
import { registerStartCommand } from './start.js';
import { registerStatusCommand } from './status.js';
import { registerStopCommand } from './stop.js';
import { registerUiCommand } from './ui.js';

export function registerCommands(program: Command, ctx: CliContext): void {
  registerInitCommand(program, ctx);
  registerStartCommand(program, ctx);
  registerStopCommand(program, ctx);
  registerStatusCommand(program, ctx);
  registerLogsCommand(program, ctx);
  registerUiCommand(program, ctx);
  registerConfigCommand(program, ctx);
}
