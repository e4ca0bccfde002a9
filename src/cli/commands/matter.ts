/**
 * `atmosphere matter discover | pair CODE | list | remove ID`: the running node's Matter bridge, a
 * thin shell over `/api/matter/*` (docs/MATTER.md). The node must run with `matter.enabled: true`.
 */
import type { Command } from 'commander';
import { InvalidInputError } from '../../core/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';
import { formatTable } from '../output.js';
import { connectToNode } from './shared.js';

/** A device as `GET /api/matter/devices` lists it. */
export interface MatterDeviceJson {
  id: string;
  label: string | null;
  room: string | null;
  vendor: string | null;
  product: string | null;
  state: 'online' | 'offline' | 'connecting';
  offlineSinceMs: number | null;
  lastSeenMs: number | null;
  pairedAtMs: number | null;
  capabilities: { id: string; type: string; endpoint: number; tools: string[]; triggers: string[] }[];
}

interface DiscoveredJson {
  name: string | null;
  vendorId: number | null;
  productId: number | null;
  discriminator: number | null;
  deviceType: number | null;
  addresses: string[];
}

const dash = (v: string | number | null | undefined): string =>
  v === null || v === undefined || v === '' ? '-' : String(v);

/** The table `atmosphere matter list` prints. */
export function formatMatterDevices(devices: readonly MatterDeviceJson[], nowMs: number): string {
  if (devices.length === 0) return 'No Matter devices yet: `atmosphere matter pair CODE` commissions one.';
  return formatTable(
    ['id', 'label', 'room', 'product', 'state', 'capabilities'],
    devices.map((d) => [
      d.id,
      dash(d.label),
      dash(d.room),
      dash([d.vendor, d.product].filter(Boolean).join(' ')),
      d.state === 'offline' && d.offlineSinceMs !== null
        ? `offline ${Math.max(0, Math.round((nowMs - d.offlineSinceMs) / 1000))} s`
        : d.state,
      d.capabilities.map((c) => `${c.id} (${c.type}: ${c.tools.join(', ') || 'no tools'})`).join('; ') || '-',
    ]),
  );
}

export function registerMatterCommand(program: Command, ctx: CliContext): void {
  const matter = program
    .command('matter')
    .description('Matter devices: discover, pair, list and remove (needs matter.enabled: true)');

  matter
    .command('discover')
    .description('commissionable Matter devices on the network')
    .option('--timeout <seconds>', 'how long to look', '5')
    .option('--json', 'print JSON')
    .action(async (opts: { timeout: string; json?: boolean }, cmd: Command) => {
      const seconds = Number(opts.timeout);
      if (!(seconds >= 1 && seconds <= 120))
        throw new InvalidInputError(`--timeout expects seconds from 1 to 120, got "${opts.timeout}"`);
      const client = connectToNode(homeFor(ctx, cmd));
      const { devices } = await client.request<{ devices: DiscoveredJson[] }>(
        'POST',
        '/api/matter/discover',
        {
          body: { timeout_seconds: seconds },
        },
      );
      if (opts.json === true) {
        ctx.output.json(devices);
        return;
      }
      if (devices.length === 0) {
        ctx.output.line(`No commissionable Matter device answered within ${seconds} s.`);
        return;
      }
      ctx.output.line(
        formatTable(
          ['name', 'vendor', 'product', 'discriminator', 'device type', 'address'],
          devices.map((d) => [
            dash(d.name),
            dash(d.vendorId),
            dash(d.productId),
            dash(d.discriminator),
            dash(d.deviceType),
            d.addresses.join(' ') || '-',
          ]),
        ),
      );
    });

  matter
    .command('pair')
    .description('commission a device by its manual pairing code (1234-567-8901) or QR payload (MT:…)')
    .argument('<code>', 'manual pairing code or QR payload')
    .option('--label <text>', 'what to call it (default: the label the device gives)')
    .option('--room <room>', 'where it is (kitchen, hall …); used to route "turn off the kitchen light"')
    .option('--json', 'print JSON')
    .action(async (code: string, opts: { label?: string; room?: string; json?: boolean }, cmd: Command) => {
      const client = connectToNode(homeFor(ctx, cmd));
      if (opts.json !== true) ctx.output.error('Looking for the device and commissioning it …');
      const { device } = await client.request<{ device: MatterDeviceJson }>('POST', '/api/matter/pair', {
        body: {
          code,
          ...(opts.label === undefined ? {} : { label: opts.label }),
          ...(opts.room === undefined ? {} : { room: opts.room }),
        },
      });
      if (opts.json === true) {
        ctx.output.json(device);
        return;
      }
      ctx.output.line(`Paired ${device.label ?? device.id} (${device.id}).`);
      for (const c of device.capabilities)
        ctx.output.line(`  ${c.id}  ${c.type}  tools: ${c.tools.join(', ')}`);
      ctx.output.line(
        'Devices are private until you expose them: `atmosphere config set expose.capabilities.allow \'["matter/*"]\'`.',
      );
    });

  matter
    .command('list')
    .description('commissioned devices, their state and capabilities')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const client = connectToNode(homeFor(ctx, cmd));
      const body = await client.request<{ enabled: boolean; devices: MatterDeviceJson[] }>(
        'GET',
        '/api/matter/devices',
      );
      if (opts.json === true) {
        ctx.output.json(body.devices);
        return;
      }
      if (!body.enabled) {
        ctx.output.line(
          'Matter is off on this node: `atmosphere config set matter.enabled true`, then restart it.',
        );
        return;
      }
      ctx.output.line(formatMatterDevices(body.devices, Date.now()));
    });

  matter
    .command('remove')
    .description('take a device off this node’s fabric and forget it')
    .argument('<id>', 'the device id from `atmosphere matter list`')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const client = connectToNode(homeFor(ctx, cmd));
      const result = await client.request<{ removed: string; decommissioned: boolean }>(
        'DELETE',
        `/api/matter/devices/${encodeURIComponent(id)}`,
        // an empty JSON body gives the request a Content-Length (a DELETE without one fails in the
        // API's body-size middleware)
        { body: {} },
      );
      if (opts.json === true) {
        ctx.output.json(result);
        return;
      }
      ctx.output.line(
        result.decommissioned
          ? `Removed ${id}: the device left this fabric.`
          : `Forgot ${id}; the device did not answer, so it still believes it is paired (factory-reset it to pair it again).`,
      );
    });
}
