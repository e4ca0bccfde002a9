import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { ensureHome } from '../../client/index.js';
import {
  defaultConfigYaml,
  loadOrCreateIdentity,
  setConfigValue,
  writeConfigText,
} from '../../node/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';

export function registerInitCommand(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('create the home directory, identity key and config (safe to run again)')
    .option('--name <name>', 'node name (default: the hostname)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { name?: string; json?: boolean }, cmd: Command) => {
      const paths = homeFor(ctx, cmd);
      ensureHome(paths);
      const { identity, created } = await loadOrCreateIdentity(paths.identityKey);
      const configExisted = existsSync(paths.config);
      if (!configExisted) {
        writeConfigText(paths.config, defaultConfigYaml(opts.name === undefined ? {} : { name: opts.name }));
      } else if (opts.name !== undefined) {
        setConfigValue(paths.config, 'node.name', JSON.stringify(opts.name));
      }
      if (opts.json === true) {
        ctx.output.json({
          nodeId: identity.nodeId,
          created,
          home: paths.root,
          config: paths.config,
          configCreated: !configExisted,
        });
        return;
      }
      ctx.output.line(identity.nodeId);
      ctx.output.error(
        created
          ? `created a new node identity in ${paths.root}`
          : `node identity already exists in ${paths.root} (unchanged)`,
      );
      if (!configExisted) ctx.output.error(`wrote ${paths.config}`);
    });
}
