import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { Document, isMap, isScalar } from 'yaml';
import type { ConfigIssue } from '../../core/index.js';
import { ConfigError, EditorFailedError, TlsConfigError, formatConfigIssue } from '../../core/index.js';
import type { HomePaths } from '../../client/index.js';
import { ensureHome } from '../../client/index.js';
import {
  configJsonSchemaText,
  defaultConfigYaml,
  getConfigValue,
  loadConfig,
  loadTlsFiles,
  readConfigFile,
  readEnvConfig,
  resolveConfig,
  setConfigValue,
  validateConfigText,
  writeConfigText,
} from '../../node/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';
import { EXIT_CODES } from '../exit-codes.js';

const YAML_OUTPUT_OPTIONS = { lineWidth: 0, flowCollectionPadding: false } as const;

interface JsonOption {
  json?: boolean;
}

export function registerConfigCommand(program: Command, ctx: CliContext): void {
  const out = ctx.output;
  const config = program
    .command('config')
    .description('show, check and change config.yaml (every key: docs/CONFIG.md)');

  config
    .command('show')
    .description('print the resolved configuration: defaults < config.yaml < ATMOSPHERE_* env')
    .option('--json', 'print JSON')
    .action((opts: JsonOption, cmd: Command) => {
      const paths = homeFor(ctx, cmd);
      const { config: resolved, file, warnings } = loadConfig({ path: paths.config, env: ctx.env });
      for (const w of warnings) out.error(`warning: ${w}`);
      if (opts.json === true) {
        out.json(resolved);
        return;
      }
      const doc = new Document(resolved);
      doc.commentBefore = ` resolved: defaults < ${file.path}${file.exists ? '' : ' (missing)'} < ATMOSPHERE_* environment`;
      for (const [key, variable] of readEnvConfig(ctx.env).sources)
        annotate(doc, key.split('.'), ` from ${variable}`);
      out.write(doc.toString(YAML_OUTPUT_OPTIONS));
    });

  config
    .command('get')
    .description('print the resolved value of one key, e.g. api.port')
    .argument('<key>', 'dotted key')
    .option('--json', 'print JSON')
    .action((key: string, opts: JsonOption, cmd: Command) => {
      const paths = homeFor(ctx, cmd);
      const { config: resolved, warnings } = loadConfig({ path: paths.config, env: ctx.env });
      for (const w of warnings) out.error(`warning: ${w}`);
      const value = getConfigValue(resolved, key);
      if (opts.json === true) out.json(value ?? null);
      else out.line(formatValue(value));
    });

  config
    .command('set')
    .description('set one key in config.yaml, keeping comments (VALUE is YAML: 8080, true, "[a, b]")')
    .argument('<key>', 'dotted key, e.g. limits.max_concurrent')
    .argument('<value>', 'the new value (use -- before a value that starts with "-")')
    .action((key: string, value: string, _opts: unknown, cmd: Command) => {
      const paths = homeFor(ctx, cmd);
      ensureHome(paths);
      setConfigValue(paths.config, key, value);
      const { config: resolvedFromFile } = resolveConfig({ file: readConfigFile(paths.config) });
      out.line(`${key} = ${formatInline(getConfigValue(resolvedFromFile, key))}  (${paths.config})`);
      for (const [envKey, variable] of readEnvConfig(ctx.env).sources) {
        if (overlaps(envKey, key))
          out.error(`note: ${variable} is set and overrides ${envKey} from the file`);
      }
    });

  config
    .command('edit')
    .description('edit config.yaml in $VISUAL or $EDITOR; saved only if it is valid')
    .action(async (_opts: unknown, cmd: Command) => {
      await editConfig(ctx, homeFor(ctx, cmd));
    });

  config
    .command('path')
    .description('print where config.yaml is')
    .action((_opts: unknown, cmd: Command) => {
      out.line(homeFor(ctx, cmd).config);
    });

  config
    .command('validate')
    .description('check config.yaml and ATMOSPHERE_* variables; print every problem (exit 78 if any)')
    .option('--json', 'print JSON')
    .action((opts: JsonOption, cmd: Command) => {
      validateCommand(ctx, homeFor(ctx, cmd), opts.json === true);
    });

  config
    .command('schema')
    .description('print the JSON Schema of config.yaml (for editors)')
    .action(() => {
      out.write(configJsonSchemaText());
    });
}

function validateCommand(ctx: CliContext, paths: HomePaths, json: boolean): void {
  const out = ctx.output;
  const issues: ConfigIssue[] = [];
  let exists = false;
  let file: ReturnType<typeof readConfigFile> | undefined;
  try {
    file = readConfigFile(paths.config);
    exists = file.exists;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    exists = true;
    issues.push(...err.issues);
  }
  const env = readEnvConfig(ctx.env);
  issues.push(...env.issues);
  const resolved = issues.length === 0 ? resolveConfig({ file, env: ctx.env }) : null;
  const warnings = resolved?.warnings ?? [];
  if (resolved !== null) {
    // the certificate and key are read at start; check them now too (both set, readable, a pair)
    try {
      loadTlsFiles(resolved.config.tls, paths.root);
    } catch (err) {
      if (!(err instanceof TlsConfigError)) throw err;
      const key = typeof err.details.key === 'string' ? err.details.key : 'tls';
      issues.push({ source: paths.config, key, message: err.message });
    }
  }
  const envOverrides = Object.fromEntries(env.sources);
  if (issues.length > 0) ctx.exit.code = EXIT_CODES.config;
  if (json) {
    out.json({ valid: issues.length === 0, path: paths.config, exists, issues, warnings, envOverrides });
    return;
  }
  for (const issue of issues) out.line(formatConfigIssue(issue));
  for (const w of warnings) out.line(`warning: ${w}`);
  if (issues.length > 0) {
    out.error(`invalid configuration: ${issues.length} problem${issues.length === 1 ? '' : 's'}`);
    return;
  }
  out.line(exists ? `${paths.config}: valid` : `${paths.config} does not exist: every key takes its default`);
  for (const [key, variable] of env.sources) out.line(`  ${key} is set by ${variable}`);
}

async function editConfig(ctx: CliContext, paths: HomePaths): Promise<void> {
  const out = ctx.output;
  ensureHome(paths);
  const existed = existsSync(paths.config);
  const original = existed ? readFileSync(paths.config, 'utf8') : defaultConfigYaml();
  // a private directory, and the real file name so the editor knows it is YAML
  const dir = mkdtempSync(join(tmpdir(), 'atmosphere-config-'));
  const draft = join(dir, 'config.yaml');
  writeFileSync(draft, original, { mode: 0o600 });
  const editor = nonEmpty(ctx.env.VISUAL) ?? nonEmpty(ctx.env.EDITOR) ?? 'vi';
  const interactive = out.stdinIsTTY && out.stdoutIsTTY;
  for (;;) {
    try {
      await runEditor(editor, draft, ctx.env);
    } catch (err) {
      out.error(`your draft is kept in ${draft}`);
      throw err;
    }
    const text = readFileSync(draft, 'utf8');
    if (text === original) {
      rmSync(dir, { recursive: true, force: true });
      out.line(existed ? 'no changes' : `no changes; ${paths.config} was not created`);
      return;
    }
    const issues = validateConfigText(text, paths.config);
    if (issues.length === 0) {
      writeConfigText(paths.config, text);
      rmSync(dir, { recursive: true, force: true });
      out.line(`saved ${paths.config}`);
      return;
    }
    for (const issue of issues) out.error(formatConfigIssue(issue));
    if (interactive && (await askYesNo(ctx, 'The file is not valid. Edit again? [Y/n] '))) continue;
    out.error(`not saved: ${paths.config} is unchanged; your draft is kept in ${draft}`);
    ctx.exit.code = EXIT_CODES.config;
    return;
  }
}

/** Runs the editor the way git does: through the shell, so `EDITOR="code --wait"` works. */
async function runEditor(editor: string, file: string, env: NodeJS.ProcessEnv): Promise<void> {
  const child =
    process.platform === 'win32'
      ? spawn(editor, [JSON.stringify(file)], { stdio: 'inherit', env, shell: true })
      : spawn('/bin/sh', ['-c', `${editor} "$1"`, 'editor', file], { stdio: 'inherit', env });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode, signal) => resolve(signal === null ? exitCode : null));
  }).catch((err: unknown) => {
    throw new EditorFailedError(`cannot run the editor "${editor}": ${(err as Error).message}`, {
      cause: err,
    });
  });
  if (code !== 0) {
    throw new EditorFailedError(
      `the editor "${editor}" ${code === null ? 'was killed' : `exited with code ${code}`}; nothing was saved`,
      { details: { editor, exitCode: code } },
    );
  }
}

async function askYesNo(ctx: CliContext, question: string): Promise<boolean> {
  ctx.output.write(question);
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    const answer = (await rl.question('')).trim().toLowerCase();
    return answer === '' || answer === 'y' || answer === 'yes';
  } finally {
    rl.close();
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Marks where a value came from in `config show`: after a scalar, above a section or list. */
function annotate(doc: Document, path: string[], comment: string): void {
  const parent = doc.getIn(path.slice(0, -1), true);
  const root = path.length === 1 ? doc.contents : parent;
  if (!isMap(root)) return;
  const pair = root.items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1]);
  if (pair === undefined) return;
  if (isScalar(pair.value)) pair.value.comment = comment;
  else if (isScalar(pair.key)) pair.key.commentBefore = comment;
}

/** One value as a person (or a shell script) wants it: text as is, collections as YAML. */
function formatValue(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return new Document(value).toString(YAML_OUTPUT_OPTIONS).trimEnd();
}

function formatInline(value: unknown): string {
  return value === undefined ? '(unset)' : JSON.stringify(value);
}

/** True when one dotted key is the other or contains it. */
function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
}
