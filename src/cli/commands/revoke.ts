import type { Command } from 'commander';
import type { MeshOverview } from '../../core/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';
import { connectToNode, resolveMesh } from './shared.js';

export function registerRevokeCommand(program: Command, ctx: CliContext): void {
  program
    .command('revoke <nodeId>')
    .description('revoke a member (admins only): every member disconnects and refuses it')
    .option('--mesh <id|name>', 'which mesh (default: the only one)')
    .option('--reason <text>', 'recorded with the revocation')
    .option('--json', 'print the result as JSON')
    .action(
      async (nodeId: string, opts: { mesh?: string; reason?: string; json?: boolean }, cmd: Command) => {
        const client = connectToNode(homeFor(ctx, cmd));
        const overview = await client.request<MeshOverview>('GET', '/api/mesh');
        const mesh = resolveMesh(overview.meshes, opts.mesh);
        const result = await client.request<{ meshId: string; nodeId: string }>(
          'POST',
          `/api/meshes/${encodeURIComponent(mesh.meshId)}/revocations`,
          { body: { nodeId, ...(opts.reason === undefined ? {} : { reason: opts.reason }) } },
        );
        if (opts.json === true) {
          ctx.output.json({ ...result, meshName: mesh.name, revoked: true });
          return;
        }
        ctx.output.line(
          `Revoked ${nodeId} in mesh "${mesh.name}"; the revocation is gossiped to every member.`,
        );
      },
    );
}
