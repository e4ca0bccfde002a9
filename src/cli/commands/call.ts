/**
 * `atmosphere call`: an intent or a model capability, streamed through `/v1/chat/completions`; or
 * one tool of a device capability (`matter/kitchen-light-… --tool off`) through
 * `POST /api/tools/invoke`, here or on the node that offers it. An intent the router sends to a
 * device tool ("where is my phone?", "turn off the kitchen light") runs that tool (`POST /api/act`).
 */
import type { Command } from 'commander';
import { InvalidInputError, NotFoundError } from '../../core/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';
import { connectToNode } from './shared.js';

interface CallOptions {
  tool?: string;
  args?: string;
  system?: string;
  node?: string;
  json?: boolean;
}

/** What `POST /api/tools/invoke` answers. */
interface ToolReply {
  invocation: {
    nodeId: string;
    nodeName: string;
    capabilityId: string;
    tool: string;
    result: unknown;
    durationMs: number;
  };
}

/** What `POST /api/act` answers. */
interface ActReply extends ToolReply {
  decision: { decision: { capabilityId: string; nodeId: string; tool: string | null } | null };
}

/** The part of `POST /api/route`'s answer this needs. */
interface RouteReply {
  decision: { capabilityId: string; type: string; tool: string | null; toolKind: string | null } | null;
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

const CAPABILITY_ID = /^[\w.:@+-]+\/[\w.:@+/-]+$/;

/** Whether the call runs a device tool (`--tool` other than the chat tools). */
export function isDeviceToolCall(tool: string | undefined): tool is string {
  return tool !== undefined && !CHAT_TOOLS.has(tool);
}

/**
 * The body of `POST /api/tools/invoke` for `atmosphere call CAPABILITY --tool NAME --args JSON`;
 * throws InvalidInputError when the target is not a capability id or a flag does not apply.
 */
export function toolInvokeBody(
  target: string,
  tool: string,
  args: Record<string, unknown>,
  opts: Pick<CallOptions, 'system' | 'node'> = {},
): { capability: string; tool: string; arguments: Record<string, unknown>; node_id?: string } {
  if (!CAPABILITY_ID.test(target)) {
    throw new InvalidInputError(
      `--tool ${tool} runs a tool of one capability: give its id (\`atmosphere matter list\` or \`atmosphere route\` show them), e.g. atmosphere call matter/kitchen-light-1 --tool ${tool}`,
    );
  }
  if (!/^[\w.:-]{1,64}$/.test(tool)) {
    throw new InvalidInputError(`--tool expects a tool name such as "on" or "set_brightness", got "${tool}"`);
  }
  if (opts.system !== undefined) {
    throw new InvalidInputError('--system is for chat models; a device tool takes only --args');
  }
  return {
    capability: target,
    tool,
    arguments: args,
    ...(opts.node === undefined ? {} : { node_id: opts.node }),
  };
}

/**
 * `--args` as a JSON object: for chat tools `{"prompt": "...", "system": "...", "temperature": 0.2,
 * "max_tokens": 200}`, for a device tool its arguments (`{"percent": 50}`).
 */
export function parseArgs(text: string | undefined): Record<string, unknown> {
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
    .option(
      '--tool <name>',
      'the tool to run: chat, summarize, ask for models; a device tool (on, off, set_brightness ...) for a device capability',
    )
    .option(
      '--args <json>',
      'tool arguments as a JSON object, e.g. {"prompt": "...", "temperature": 0.2} or {"percent": 50}',
    )
    .option('--system <text>', 'a system message for chat models')
    .option('--node <id>', 'device tools: run it on this node when several offer the capability')
    .option('--json', 'print the whole answer and its route receipt as JSON at the end')
    .action(async (target: string, opts: CallOptions, cmd: Command) => {
      const args = parseArgs(opts.args);
      if (isDeviceToolCall(opts.tool)) {
        const body = toolInvokeBody(target, opts.tool, args, opts);
        const client = connectToNode(homeFor(ctx, cmd));
        const { invocation } = await client.request<ToolReply>('POST', '/api/tools/invoke', { body });
        if (opts.json === true) {
          ctx.output.json(invocation);
          return;
        }
        ctx.output.line(JSON.stringify(invocation.result ?? null, null, 2));
        ctx.output.error(
          `— ${invocation.tool} on ${invocation.capabilityId} at ${invocation.nodeName} (${invocation.durationMs} ms)`,
        );
        return;
      }
      if (opts.node !== undefined) {
        throw new InvalidInputError('--node applies to device tools (--tool NAME); models are routed');
      }
      const client = connectToNode(homeFor(ctx, cmd));
      const looksLikeCapability = CAPABILITY_ID.test(target) && !/\s/.test(target);
      if (!looksLikeCapability && opts.tool === undefined && opts.system === undefined) {
        // a device tool when the router picks one that is not a model's
        const route = await client.request<RouteReply>('POST', '/api/route', { body: { intent: target } });
        const choice = route.decision;
        if (choice !== null && choice.toolKind === 'tool' && choice.tool !== null) {
          const models = await client.request<ModelList>('GET', '/v1/models');
          if (!models.data.some((m) => m.atmosphere?.capabilityId === choice.capabilityId)) {
            const { invocation } = await client.request<ActReply>('POST', '/api/act', {
              body: { intent: target, arguments: args },
            });
            if (opts.json === true) {
              ctx.output.json(invocation);
              return;
            }
            ctx.output.line(JSON.stringify(invocation.result ?? null, null, 2));
            ctx.output.error(
              `— ${invocation.tool} on ${invocation.capabilityId} at ${invocation.nodeName} (${invocation.durationMs} ms; \`atmosphere route\` explains the choice)`,
            );
            return;
          }
        }
      }
      let model = 'auto';
      let prompt = target;
      if (looksLikeCapability) {
        const models = await client.request<ModelList>('GET', '/v1/models');
        const match = models.data.find((m) => m.atmosphere?.capabilityId === target || m.id === target);
        if (!match) {
          throw new NotFoundError(
            `no reachable model capability "${target}" in the mesh; for a device tool add --tool NAME (and --args JSON); \`atmosphere route\` shows what there is`,
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
