import type { Command } from 'commander';
import qrcode from 'qrcode-terminal';
import type { CreatedInvite, MeshOverview } from '../../core/index.js';
import { InvalidInputError } from '../../core/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';
import { connectToNode, parseDurationSeconds, resolveMesh } from './shared.js';

interface InviteOptions {
  mesh?: string;
  ttl: string;
  uses: string;
  role: string;
  scope?: string[];
  qr?: boolean;
  phone?: boolean;
  json?: boolean;
}

/** The QR code of `text` as terminal lines (two pixel rows per text line). */
function qrText(text: string): Promise<string> {
  return new Promise((resolve) => qrcode.generate(text, { small: true }, (code: string) => resolve(code)));
}

export function registerInviteCommand(program: Command, ctx: CliContext): void {
  program
    .command('invite')
    .description('make a signed invite for another device to join a mesh (admins only)')
    .option('--mesh <id|name>', 'which mesh (default: the only one)')
    .option('--ttl <duration>', 'how long the invite is valid: 30m, 24h, 7d (at most 30d)', '24h')
    .option('--uses <n>', 'how many devices may redeem it', '1')
    .option('--role <role>', 'member or admin', 'member')
    .option('--scope <pattern...>', 'capability patterns the new member may use (default: all)')
    .option('--qr', 'also print a QR code of the join link')
    .option('--phone', 'for a phone: print the phone app link (and with --qr its QR code) instead')
    .option('--json', 'print token, link, expiry, uses and role as JSON')
    .action(async (opts: InviteOptions, cmd: Command) => {
      const ttlSeconds = parseDurationSeconds(opts.ttl, '--ttl');
      if (ttlSeconds < 60 || ttlSeconds > 30 * 86_400) {
        throw new InvalidInputError(`--ttl must be from 1m to 30d (e.g. 30m, 24h, 7d), got "${opts.ttl}"`);
      }
      const uses = Number(opts.uses);
      if (!Number.isInteger(uses) || uses < 1 || uses > 1000) {
        throw new InvalidInputError(`--uses expects a whole number from 1 to 1000, got "${opts.uses}"`);
      }
      if (opts.role !== 'member' && opts.role !== 'admin') {
        throw new InvalidInputError(`--role expects member or admin, got "${opts.role}"`);
      }
      const client = connectToNode(homeFor(ctx, cmd));
      const overview = await client.request<MeshOverview>('GET', '/api/mesh');
      const mesh = resolveMesh(overview.meshes, opts.mesh);
      const invite = await client.request<
        CreatedInvite & { expiresAt: string; phoneLinks?: string[]; phoneLocalOnly?: boolean }
      >('POST', `/api/meshes/${encodeURIComponent(mesh.meshId)}/invites`, {
        body: { ttlSeconds, uses, role: opts.role, ...(opts.scope ? { scope: opts.scope } : {}) },
      });
      const phoneLinks = invite.phoneLinks ?? [];
      const phoneLink = phoneLinks[0];
      if (opts.phone === true && phoneLink === undefined) {
        throw new InvalidInputError('this node does not serve the phone app (a build without ui/dist-phone)');
      }
      const qrTarget = opts.phone === true && phoneLink !== undefined ? phoneLink : invite.link;
      if (opts.json === true) {
        ctx.output.json({
          token: invite.token,
          link: invite.link,
          expiresAt: invite.expiresAt,
          uses: invite.maxUses,
          role: invite.role,
          scope: invite.scope,
          meshId: invite.meshId,
          meshName: invite.meshName,
          addresses: invite.addresses,
          phoneLinks: phoneLinks,
          phoneLocalOnly: invite.phoneLocalOnly ?? true,
          ...(opts.qr === true ? { qr: await qrText(qrTarget) } : {}),
        });
        return;
      }
      const out = ctx.output;
      out.line(invite.token);
      out.line();
      out.line(`link     ${invite.link}`);
      out.line(`mesh     ${invite.meshName} (${invite.meshId})`);
      out.line(`role     ${invite.role}${invite.scope.length ? `, scope ${invite.scope.join(' ')}` : ''}`);
      out.line(`valid    until ${invite.expiresAt}, ${invite.maxUses} use${invite.maxUses === 1 ? '' : 's'}`);
      out.line(`dials    ${invite.addresses.join(', ') || '(no reachable address: is the node listening?)'}`);
      for (const link of phoneLinks) out.line(`phone    ${link}`);
      if (opts.qr === true) {
        out.line();
        out.line(await qrText(qrTarget));
      }
      out.line();
      if (opts.phone === true) {
        out.line('On the phone: scan the code (or open the phone link) and tap "Join mesh".');
        if (invite.phoneLocalOnly !== false) {
          out.line(
            "Note: this node's API listens on loopback only, so only this machine can open that link. For a phone on " +
              'your network set api.host (and see docs/PHONE.md).',
          );
        }
      } else {
        out.line('On the other device: `atmosphere start`, then `atmosphere join <token>`.');
      }
    });
}
