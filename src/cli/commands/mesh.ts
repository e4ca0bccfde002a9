import type { Command } from 'commander';
import type { MeshInfo, MeshMemberInfo, MeshOverview, MeshPeerInfo, CreatedMesh } from '../../core/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';
import { formatTable } from '../output.js';
import { confirm, connectToNode, resolveMesh } from './shared.js';
import { InvalidInputError } from '../../core/index.js';

function ago(ms: number | null, now: number): string {
  if (ms === null) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

const short = (id: string): string => (id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id);

export function formatMeshes(meshes: readonly MeshInfo[]): string {
  if (meshes.length === 0) {
    return 'No meshes yet: `atmosphere mesh create NAME` to found one, or `atmosphere join TOKEN`.';
  }
  return formatTable(
    ['MESH ID', 'NAME', 'ROLE', 'MEMBERS'],
    meshes.map((m) => [m.meshId, m.name, m.founder ? `${m.role} (founder)` : m.role, String(m.memberCount)]),
  );
}

export function formatPeers(peers: readonly MeshPeerInfo[], now: number): string {
  if (peers.length === 0) return 'No peers known yet.';
  return formatTable(
    ['NODE', 'NAME', 'STATUS', 'TRANSPORT', 'RTT', 'LAST SEEN', 'CAPS', 'ADDRESS'],
    peers.map((p) => [
      short(p.nodeId),
      p.name || '-',
      p.connected
        ? 'connected'
        : `not connected: ${p.reason ?? 'unknown'}${p.detail ? ` (${p.detail})` : ''}`,
      p.transport ?? '-',
      p.rttMs === null ? '-' : `${Math.round(p.rttMs)} ms`,
      ago(p.lastSeenMs, now),
      String(p.capabilityCount),
      p.addresses[0] ?? '-',
    ]),
  );
}

function formatMembers(members: readonly MeshMemberInfo[], now: number): string {
  return formatTable(
    ['NODE ID', 'NAME', 'ROLE', 'STATUS', 'LAST SEEN', 'SERIAL'],
    members.map((m) => [
      m.nodeId,
      m.self ? `${m.name || '-'} (this node)` : m.name || '-',
      m.role,
      m.revoked ? 'revoked' : m.self || m.connected ? 'connected' : 'not connected',
      m.self ? '-' : ago(m.lastSeenMs, now),
      String(m.serial),
    ]),
  );
}

export function registerMeshCommand(program: Command, ctx: CliContext): void {
  const mesh = program
    .command('mesh')
    .description("this node's meshes and peers (and why a peer is not connected)")
    .option('--json', 'print meshes and peers as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const client = connectToNode(homeFor(ctx, cmd));
      const overview = await client.request<MeshOverview>('GET', '/api/mesh');
      if (opts.json === true) {
        ctx.output.json(overview);
        return;
      }
      const now = Date.now();
      ctx.output.line(`Node ${overview.nodeId}`);
      ctx.output.line(`Listening on ${overview.addresses.join(', ') || '(no addresses)'}`);
      ctx.output.line();
      ctx.output.line(formatMeshes(overview.meshes));
      ctx.output.line();
      ctx.output.line(formatPeers(overview.peers, now));
    });

  mesh
    .command('create <name>')
    .description('found a new mesh with its own key; this node becomes its admin')
    .option('--json', 'print the new mesh as JSON')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      // `--json` may be parsed by the parent `mesh` command, which has the same option
      const opts = cmd.optsWithGlobals<{ json?: boolean }>();
      const client = connectToNode(homeFor(ctx, cmd));
      const created = await client.request<CreatedMesh>('POST', '/api/meshes', { body: { name } });
      if (opts.json === true) {
        ctx.output.json(created);
        return;
      }
      ctx.output.line(
        `Created mesh "${created.name}" (${created.meshId}); this node is its founder and admin.`,
      );
      ctx.output.line('Invite another device with `atmosphere invite`.');
    });

  mesh
    .command('members')
    .description('members of a mesh and their status')
    .option('--mesh <id|name>', 'which mesh (default: the only one)')
    .option('--json', 'print the members as JSON')
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<{ mesh?: string; json?: boolean }>();
      const client = connectToNode(homeFor(ctx, cmd));
      const overview = await client.request<MeshOverview>('GET', '/api/mesh');
      const chosen = resolveMesh(overview.meshes, opts.mesh);
      const { members } = await client.request<{ members: MeshMemberInfo[] }>(
        'GET',
        `/api/meshes/${encodeURIComponent(chosen.meshId)}/members`,
      );
      if (opts.json === true) {
        ctx.output.json({ meshId: chosen.meshId, name: chosen.name, members });
        return;
      }
      ctx.output.line(`Mesh "${chosen.name}" (${chosen.meshId})`);
      ctx.output.line(formatMembers(members, Date.now()));
    });
}

export function registerLeaveCommand(program: Command, ctx: CliContext): void {
  program
    .command('leave [mesh]')
    .description('leave a mesh (the founder leaving also deletes the mesh key)')
    .option('--yes', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON')
    .action(async (wanted: string | undefined, opts: { yes?: boolean; json?: boolean }, cmd: Command) => {
      const client = connectToNode(homeFor(ctx, cmd));
      const overview = await client.request<MeshOverview>('GET', '/api/mesh');
      const chosen = resolveMesh(overview.meshes, wanted);
      if (opts.yes !== true) {
        const warning = chosen.founder
          ? `Leave mesh "${chosen.name}"? This node founded it: its mesh key is deleted and no one can invite new members afterwards.`
          : `Leave mesh "${chosen.name}" (${chosen.meshId})?`;
        if (!(ctx.output.stdinIsTTY && ctx.output.stdoutIsTTY)) {
          throw new InvalidInputError(`${warning} Re-run with --yes to confirm.`);
        }
        if (!(await confirm(warning))) {
          ctx.output.error('not leaving');
          return;
        }
      }
      const result = await client.request<{ meshId: string; name: string; meshKeyDeleted: boolean }>(
        'DELETE',
        `/api/meshes/${encodeURIComponent(chosen.meshId)}`,
      );
      if (opts.json === true) ctx.output.json(result);
      else
        ctx.output.line(
          `Left mesh "${result.name}" (${result.meshId})${result.meshKeyDeleted ? '; its mesh key was deleted' : ''}.`,
        );
    });
}
