import type { Command } from 'commander';
import { InvalidInputError, NotFoundError } from '../../core/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';
import { connectToNode } from './shared.js';

interface CallOptions {
  tool?: string;
  args?: string;
  system?: string;
  json?: boolean;
}

interface ModelList {
  data: { id: string; atmosphere?: { capabilityId: string; kind: string; nodeName: string } }[];
}

interface Chunk {
  model?: string;
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
}

const CHAT_TOOLS = new Set(['chat', 'summarize', 'ask']);

/** `--args` for chat tools: `{"prompt": "...", "system": "...", "temperature": 0.2, "max_tokens": 200}`. */
function parseArgs(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(`--args is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidInputError('--args must be a JSON object, e.g. {"prompt": "hello"}');
  }
  return parsed as Record<string, unknown>;
}

export function registerCallCommand(program: Command, ctx: CliContext): void {
  program
    .command('call <target>')
    .description(
      'run an intent ("summarize this: ...") or a capability (ollama/llama3.2:3b) and stream the answer',
    )
    .option('--tool <name>', 'the tool of the capability (chat, summarize, ask)')
    .option('--args <json>', 'tool arguments as JSON, e.g. {"prompt": "...", "temperature": 0.2}')
    .option('--system <text>', 'a system message for chat models')
    .option('--json', 'print the whole answer and its route receipt as JSON at the end')
    .action(async (target: string, opts: CallOptions, cmd: Command) => {
      const client = connectToNode(homeFor(ctx, cmd));
      const args = parseArgs(opts.args);
      const looksLikeCapability = /^[\w.:@+-]+\/[\w.:@+/-]+$/.test(target) && !/\s/.test(target);
      let model = 'auto';
      let prompt = target;
      if (looksLikeCapability) {
        const models = await client.request<ModelList>('GET', '/v1/models');
        const match = models.data.find((m) => m.atmosphere?.capabilityId === target || m.id === target);
        if (!match) {
          throw new NotFoundError(
            `no reachable model capability "${target}" in the mesh (calling device tools is not supported yet); \`atmosphere route\` shows what there is`,
          );
        }
        model = match.atmosphere?.capabilityId ?? match.id;
        if (typeof args.prompt !== 'string') {
          throw new InvalidInputError(`give the text to send: --args '{"prompt": "..."}'`);
        }
        prompt = args.prompt;
      } else if (typeof args.prompt === 'string') {
        prompt = `${target}\n\n${args.prompt}`;
      }
      if (opts.tool !== undefined && !CHAT_TOOLS.has(opts.tool)) {
        throw new InvalidInputError(
          `--tool ${opts.tool}: only model tools (chat, summarize, ask) can be called yet; device tools arrive with their integrations`,
        );
      }
      if (opts.tool === 'summarize') prompt = `Summarize the following briefly:\n\n${prompt}`;
      const system = opts.system ?? (typeof args.system === 'string' ? args.system : undefined);
      const body = {
        model,
        stream: true,
        stream_options: { include_usage: true },
        messages: [
          ...(system ? [{ role: 'system', content: system }] : []),
          { role: 'user', content: prompt },
        ],
        ...(typeof args.temperature === 'number' ? { temperature: args.temperature } : {}),
        ...(typeof args.max_tokens === 'number' ? { max_tokens: args.max_tokens } : {}),
      };
      let content = '';
      let receipt: Record<string, string | null> | null = null;
      let usage: Chunk['usage'] = null;
      let answeredBy = '';
      for await (const { data, headers } of client.events('POST', '/v1/chat/completions', { body })) {
        receipt ??= {
          node: headers.get('x-atmosphere-node'),
          capability: headers.get('x-atmosphere-capability'),
          routeId: headers.get('x-atmosphere-route-id'),
          attempts: headers.get('x-atmosphere-attempts'),
        };
        const chunk = data as Chunk;
        if (chunk.model) answeredBy = chunk.model;
        if (chunk.usage) usage = chunk.usage;
        const piece = chunk.choices?.[0]?.delta?.content ?? '';
        content += piece;
        if (opts.json !== true && piece) ctx.output.write(piece);
      }
      if (opts.json === true) {
        ctx.output.json({ content, model: answeredBy, receipt, usage });
        return;
      }
      ctx.output.write('\n');
      if (receipt) {
        ctx.output.error(
          `— ${receipt.capability ?? '?'} on ${receipt.node ?? '?'} (route ${receipt.routeId ?? '?'}; \`atmosphere route\` explains choices)`,
        );
      }
    });
}
