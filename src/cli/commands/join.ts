import type { Command } from 'commander';
import type { JoinResult } from '../../core/index.js';
import { InvalidInputError, InviteExpiredError, decodeInviteToken } from '../../core/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';
import { confirm, connectToNode } from './shared.js';

export function registerJoinCommand(program: Command, ctx: CliContext): void {
  program
    .command('join <token>')
    .description('join a mesh with an invite token or atmosphere://join/ link')
    .option('--yes', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON')
    .action(async (text: string, opts: { yes?: boolean; json?: boolean }, cmd: Command) => {
      // Offline first: the format here (and the expiry, which needs no key); the node then checks
      // the signature and the mesh id before it dials anyone.
      const invite = decodeInviteToken(text);
      if (Date.now() >= invite.expiresAtMs) {
        throw new InviteExpiredError(`the invite expired at ${new Date(invite.expiresAtMs).toISOString()}`);
      }
      const client = connectToNode(homeFor(ctx, cmd));
      if (opts.yes !== true) {
        const question = `Join mesh "${invite.meshName}" (${invite.meshId}) as ${invite.role}, invited by ${invite.issuerId}?`;
        if (!(ctx.output.stdinIsTTY && ctx.output.stdoutIsTTY)) {
          throw new InvalidInputError(`${question} Re-run with --yes to confirm.`);
        }
        if (!(await confirm(question))) {
          ctx.output.error('not joining');
          return;
        }
      }
      if (opts.json !== true)
        ctx.output.error(`verifying the invite and contacting ${invite.addresses.length} address(es) ...`);
      const result = await client.request<JoinResult>('POST', '/api/join', { body: { token: invite.text } });
      if (opts.json === true) {
        ctx.output.json(result);
        return;
      }
      ctx.output.line(`Joined mesh "${result.meshName}" (${result.meshId}) as ${result.role}.`);
      ctx.output.line('See its members with `atmosphere mesh`.');
    });
}
