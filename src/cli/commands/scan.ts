import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ensureHome } from '../../client/index.js';
import { ScanNotFoundError, silentLogger } from '../../core/index.js';
import { loadConfig, readStoredScan, runLocalScan } from '../../node/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';
import { formatScanReport } from './scan-format.js';

interface ScanOptions {
  test?: boolean;
  json?: boolean;
  cached?: boolean;
}

const systemClock = { now: () => Date.now() };

export function registerScanCommand(program: Command, ctx: CliContext): void {
  program
    .command('scan')
    .description('find what this device can do: hardware, models, services (and test them with --test)')
    .option('--test', 'also exercise what was found: one-token generation, embeddings, camera, audio, disk')
    .option('--json', 'print the report as JSON (schema in docs/SCANNER.md)')
    .option('--cached', 'show the last stored report instead of scanning')
    .addHelpText(
      'after',
      '\nThe report is stored in the home (the node, `GET /api/scan` and the panel show it).\nWhat it finds is only a proposal: nothing is exposed to the mesh until you approve it.',
    )
    .action(async (opts: ScanOptions, cmd: Command) => {
      const paths = homeFor(ctx, cmd);
      const logger = silentLogger();
      if (opts.cached === true) {
        const stored = existsSync(paths.database)
          ? await readStoredScan({ home: paths, logger, clock: systemClock })
          : null;
        if (stored === null)
          throw new ScanNotFoundError(`no scan stored in ${paths.root} yet: run \`atmosphere scan\``);
        print(ctx, stored, opts);
        return;
      }
      const { config, warnings } = loadConfig({ path: paths.config, env: ctx.env });
      for (const w of warnings) ctx.output.error(`warning: ${w}`);
      ensureHome(paths);
      const human = opts.json !== true;
      if (human)
        ctx.output.error(
          `🔍 Scanning system capabilities${opts.test === true ? ' and testing them' : ''}...`,
        );
      const controller = new AbortController();
      const onSigint = (): void => controller.abort();
      process.once('SIGINT', onSigint);
      try {
        const report = await runLocalScan({
          home: paths,
          config,
          logger,
          clock: systemClock,
          env: ctx.env,
          withTests: opts.test === true,
          signal: controller.signal,
          ...(human ? { onProgress: (message: string) => ctx.output.error(`   ${message}`) } : {}),
        });
        if (human) ctx.output.error('');
        print(ctx, report, opts);
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
    });
}

function print(ctx: CliContext, report: Parameters<typeof formatScanReport>[0], opts: ScanOptions): void {
  if (opts.json === true) {
    ctx.output.json(report);
    return;
  }
  for (const line of formatScanReport(report)) ctx.output.line(line);
}
