import type { Command } from 'commander';
import type { TriggerPriority } from '../../core/index.js';
import { InvalidInputError, TRIGGER_PRIORITIES } from '../../core/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';
import { formatTable } from '../output.js';
import { connectToNode } from './shared.js';

/** A trigger event as `GET /api/events` returns it. */
interface EventView {
  eventId: string;
  capability: string;
  trigger: string;
  priority: TriggerPriority;
  payload: unknown;
  firedAtMs: number;
  origin: { nodeId: string; name: string };
  local: boolean;
  meshIds: string[];
}

interface EventsOptions {
  follow?: boolean;
  json?: boolean;
  match?: string[];
  minPriority?: string;
  lines?: string;
}

interface TriggerOptions {
  payload?: string;
  priority?: string;
  json?: boolean;
}

function priorityOption(text: string | undefined, flag: string): TriggerPriority | undefined {
  if (text === undefined) return undefined;
  if (!(TRIGGER_PRIORITIES as readonly string[]).includes(text)) {
    throw new InvalidInputError(`${flag} must be one of ${TRIGGER_PRIORITIES.join(', ')}, got "${text}"`);
  }
  return text as TriggerPriority;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

const short = (id: string): string => (id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id);

function originOf(e: EventView): string {
  if (e.local) return 'this node';
  return e.origin.name ? `${e.origin.name} (${short(e.origin.nodeId)})` : short(e.origin.nodeId);
}

function eventLine(e: EventView): string {
  const time = new Date(e.firedAtMs)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  const payload = e.payload === null || e.payload === undefined ? '' : ` ${JSON.stringify(e.payload)}`;
  return `${time}  ${e.priority.padEnd(8)}  ${e.capability}/${e.trigger}  from ${originOf(e)}${payload}`;
}

/** `atmosphere events`: recent trigger events, or (`-f`) every new one as it arrives. */
export function registerEventsCommand(program: Command, ctx: CliContext): void {
  program
    .command('events')
    .description('trigger events fired here or by members of your meshes (-f to follow)')
    .option('-f, --follow', 'keep printing new events as they arrive')
    .option('--json', 'one JSON object per event and line (JSON Lines)')
    .option('--match <glob>', 'only "capability/trigger" matching the glob (repeatable)', collect)
    .option('--min-priority <p>', `least priority shown: ${TRIGGER_PRIORITIES.join(', ')}`)
    .option('-n, --lines <n>', 'recent events shown first (default 20; with -f 0)')
    .action(async (opts: EventsOptions, cmd: Command) => {
      const client = connectToNode(homeFor(ctx, cmd));
      const min = priorityOption(opts.minPriority, '--min-priority');
      const follow = opts.follow === true;
      const lines = opts.lines === undefined ? (follow ? 0 : 20) : Number(opts.lines);
      if (!Number.isInteger(lines) || lines < 0) {
        throw new InvalidInputError(`--lines expects a whole number, got "${opts.lines ?? ''}"`);
      }
      const query = new URLSearchParams();
      for (const m of opts.match ?? []) query.append('match', m);
      if (min !== undefined) query.set('minPriority', min);
      query.set('limit', String(lines));
      const print = (e: EventView): void => {
        if (opts.json === true) ctx.output.line(JSON.stringify(e));
        else ctx.output.line(eventLine(e));
      };
      if (!follow) {
        const { events } = await client.request<{ events: EventView[] }>(
          'GET',
          `/api/events?${query.toString()}`,
        );
        if (opts.json === true) {
          for (const e of events) print(e);
          return;
        }
        if (events.length === 0) {
          ctx.output.line('No trigger events yet (`atmosphere trigger CAPABILITY TRIGGER` fires one).');
          return;
        }
        ctx.output.line(
          formatTable(
            ['FIRED', 'PRIORITY', 'TRIGGER', 'FROM', 'PAYLOAD'],
            events.map((e) => [
              new Date(e.firedAtMs).toISOString(),
              e.priority,
              `${e.capability}/${e.trigger}`,
              originOf(e),
              e.payload === null || e.payload === undefined ? '-' : JSON.stringify(e.payload),
            ]),
          ),
        );
        return;
      }
      query.set('follow', '1');
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        for await (const { data } of client.events('GET', `/api/events?${query.toString()}`, {
          signal: stop.signal,
        })) {
          print(data as EventView);
        }
      } catch (err) {
        if (!stop.signal.aborted) throw err;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

/** `atmosphere trigger CAPABILITY TRIGGER`: fires a trigger on this node (for scripts and tests). */
export function registerTriggerCommand(program: Command, ctx: CliContext): void {
  program
    .command('trigger <capability> <trigger>')
    .description('fire a trigger event on this node; members of your meshes receive it')
    .option('--payload <json>', 'the event payload as JSON, e.g. {"door": "front"}')
    .option(
      '--priority <p>',
      `${TRIGGER_PRIORITIES.join(', ')} (default: as the capability declares, else normal)`,
    )
    .option('--json', 'print the fired event as JSON')
    .action(async (capability: string, trigger: string, opts: TriggerOptions, cmd: Command) => {
      const client = connectToNode(homeFor(ctx, cmd));
      let payload: unknown;
      if (opts.payload !== undefined) {
        try {
          payload = JSON.parse(opts.payload);
        } catch (err) {
          throw new InvalidInputError(`--payload is not valid JSON: ${(err as Error).message}`);
        }
      }
      const priority = priorityOption(opts.priority, '--priority');
      const path = `/api/triggers/${capability.split('/').map(encodeURIComponent).join('/')}/${encodeURIComponent(trigger)}`;
      const fired = await client.request<{
        eventId: string;
        priority: string;
        meshIds: string[];
      }>('POST', path, {
        body: {
          ...(payload === undefined ? {} : { payload }),
          ...(priority === undefined ? {} : { priority }),
        },
      });
      if (opts.json === true) {
        ctx.output.json(fired);
        return;
      }
      ctx.output.line(
        `Fired ${capability}/${trigger} (${fired.priority}, event ${fired.eventId}) ` +
          (fired.meshIds.length > 0
            ? `to ${fired.meshIds.length} mesh${fired.meshIds.length === 1 ? '' : 'es'}`
            : 'on this node only (the capability is not exposed to any mesh: see expose.capabilities.allow)'),
      );
    });
}
