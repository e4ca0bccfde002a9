/**
 * `atmosphere join TOKEN`: the whole join flow of seed 1.3, step by step — verify the invite
 * offline, make sure the node runs, scan this device, let the owner approve what to expose,
 * register with the mesh, announce, and say when the node is ready to receive work. Progress is
 * kept in `<home>/join.json`, so an interrupted join resumes with `atmosphere join` (or the same
 * token) from the first step that did not finish.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { ApiClient, HomePaths } from '../../client/index.js';
import { runningNode } from '../../client/index.js';
import type { InviteToken, JoinResult, MeshInfo, ScanReport } from '../../core/index.js';
import { AtmosphereError, InvalidInputError, toAtmosphereError } from '../../core/index.js';
import {
  atomicWriteFileSync,
  launchBackgroundNode,
  removeFile,
  verifyInviteOffline,
} from '../../node/index.js';
import type { CliContext } from '../context.js';
import { homeFor } from '../context.js';
import type { ApproveRequest } from './approve.js';
import { runApprove } from './approve.js';
import { confirm, connectToNode } from './shared.js';

interface JoinOptions {
  yes?: boolean;
  json?: boolean;
  recommended?: boolean;
  expose?: string[];
  deny?: string[];
  start?: boolean;
  waitSeconds: string;
}

const STEPS = ['validate', 'node', 'scan', 'approve', 'register', 'announce'] as const;
type Step = (typeof STEPS)[number];

const STEP_TITLES: Record<Step, string> = {
  validate: 'Verify the invite (offline)',
  node: 'Make sure the node runs',
  scan: 'Scan this device',
  approve: 'Choose what to expose',
  register: 'Register with the mesh',
  announce: 'Announce capabilities',
};

/** What `<home>/join.json` holds between runs. */
interface JoinProgress {
  readonly token: string;
  readonly meshId: string;
  readonly meshName: string;
  readonly done: Step[];
  readonly startedAtMs: number;
  /** The registration was sent: on resume, "already a member" means it went through. */
  readonly registering?: boolean;
}

function progressPath(paths: HomePaths): string {
  return join(paths.root, 'join.json');
}

function readProgress(paths: HomePaths): JoinProgress | null {
  try {
    const parsed = JSON.parse(readFileSync(progressPath(paths), 'utf8')) as Partial<JoinProgress>;
    if (typeof parsed.token !== 'string' || !Array.isArray(parsed.done)) return null;
    return {
      token: parsed.token,
      meshId: String(parsed.meshId ?? ''),
      meshName: String(parsed.meshName ?? ''),
      done: parsed.done.filter((s): s is Step => (STEPS as readonly string[]).includes(String(s))),
      startedAtMs: Number(parsed.startedAtMs ?? Date.now()),
      registering: parsed.registering === true,
    };
  } catch {
    return null;
  }
}

function writeProgress(paths: HomePaths, progress: JoinProgress): void {
  atomicWriteFileSync(progressPath(paths), `${JSON.stringify(progress, null, 2)}\n`, { mode: 0o600 });
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerJoinCommand(program: Command, ctx: CliContext): void {
  program
    .command('join [token]')
    .description(
      'join a mesh with an invite token or atmosphere://join/ link: verify, scan, approve, register, announce (no token: resume an interrupted join)',
    )
    .option(
      '--yes',
      'do not ask: join, and keep the current exposure unless --recommended/--expose/--deny say otherwise',
    )
    .option('--recommended', 'expose what the scanner recommends (private defaults for the rest)')
    .option('--expose <pattern>', 'expose capability ids matching this glob (repeatable)', collect)
    .option('--deny <pattern>', 'keep capability ids matching this glob private (repeatable)', collect)
    .option('--no-start', 'do not start the node when it is not running (fail instead)')
    .option('--wait-seconds <n>', 'how long to wait for the first connected member when announcing', '20')
    .option('--json', 'print the result as JSON (progress stays on stderr)')
    .action(async (text: string | undefined, opts: JoinOptions, cmd: Command) => {
      const paths = homeFor(ctx, cmd);
      const out = ctx.output;
      const waitSeconds = Number(opts.waitSeconds);
      if (!Number.isFinite(waitSeconds) || waitSeconds < 0) {
        throw new InvalidInputError(`--wait-seconds expects a number of seconds, got "${opts.waitSeconds}"`);
      }
      const saved = readProgress(paths);
      const tokenText = text ?? saved?.token;
      if (tokenText === undefined) {
        throw new InvalidInputError(
          'no invite given and no interrupted join to resume: `atmosphere join TOKEN`',
        );
      }
      const resuming = saved !== null && saved.token === tokenText;
      const done = new Set<Step>(resuming ? saved.done : []);
      if (resuming && done.size > 0) {
        out.error(`resuming the join of mesh "${saved.meshName}" (done: ${[...done].join(', ')})`);
      }
      const steps = STEPS.length;
      const step = (s: Step): string => `[${STEPS.indexOf(s) + 1}/${steps}] ${STEP_TITLES[s]}`;
      let progress: JoinProgress = {
        token: tokenText,
        meshId: saved?.meshId ?? '',
        meshName: saved?.meshName ?? '',
        done: [...done],
        startedAtMs: resuming ? saved.startedAtMs : Date.now(),
        ...(resuming && saved.registering === true ? { registering: true } : {}),
      };
      const finish = (s: Step, note: string): void => {
        done.add(s);
        progress = { ...progress, done: [...done] };
        writeProgress(paths, progress);
        out.error(`${step(s)} ✓ ${note}`);
      };
      const fail = (s: Step, err: unknown): never => {
        const e = toAtmosphereError(err);
        out.error(`${step(s)} ✗ ${e.message}`);
        if (done.size > 0)
          out.error('Progress is saved: run `atmosphere join` again to resume from this step.');
        throw e;
      };

      // 1. Offline: format, mesh key, signature and expiry — nothing is dialled yet.
      let invite: InviteToken;
      try {
        invite = await verifyInviteOffline(tokenText);
      } catch (err) {
        fail('validate', err);
      }
      progress = { ...progress, meshId: invite!.meshId, meshName: invite!.meshName };
      if (opts.yes !== true && !done.has('validate')) {
        const question = `Join mesh "${invite!.meshName}" (${invite!.meshId}) as ${invite!.role}, invited by ${invite!.issuerId}?`;
        if (!(ctx.output.stdinIsTTY && ctx.output.stdoutIsTTY)) {
          throw new InvalidInputError(`${question} Re-run with --yes to confirm.`);
        }
        if (!(await confirm(question))) {
          out.error('not joining');
          return;
        }
      }
      finish(
        'validate',
        `mesh "${invite!.meshName}" (${invite!.meshId}), role ${invite!.role}, expires ${new Date(invite!.expiresAtMs).toISOString()}`,
      );

      // 2. The node: started in the background when it is not running.
      let client: ApiClient;
      try {
        if (!runningNode(paths.root) && opts.start !== false) {
          const state = await launchBackgroundNode({
            entryScript: ctx.entryScript,
            homeDir: paths.root,
            args: [],
            env: ctx.env,
            readyTimeoutMs: 30_000,
          });
          out.error(`      started the node (pid ${state.pid}, ${state.apiUrl})`);
        }
        client = connectToNode(paths);
      } catch (err) {
        fail('node', err);
      }
      const status = await client!.status({ signal: AbortSignal.timeout(5000) });
      finish('node', `"${status.name}" (${status.nodeId})`);

      // 3. Scan (a stored scan from this run is reused on resume).
      let report: ScanReport | null = null;
      if (!done.has('scan')) {
        try {
          report = (await client!.request<{ report: ScanReport }>('POST', '/api/scan', { body: {} })).report;
        } catch (err) {
          fail('scan', err);
        }
        finish(
          'scan',
          `${report!.hardware.gpus.length} GPU(s), ${report!.models.length} model(s), ${report!.services.length} service(s); ${report!.recommended.length} recommended capability type(s)`,
        );
      } else {
        out.error(`${step('scan')} ✓ (done before)`);
      }

      // 4. Approval: flags, the checklist in a terminal, or (with --yes and no flags) the current rules.
      if (!done.has('approve')) {
        const request: ApproveRequest = {
          ...(opts.recommended === true ? { recommended: true } : {}),
          ...(opts.expose ? { expose: opts.expose } : {}),
          ...(opts.deny ? { deny: opts.deny } : {}),
          ...(opts.yes === true ? { yes: true } : {}),
          quiet: true,
        };
        const flagged =
          opts.recommended === true || (opts.expose?.length ?? 0) > 0 || (opts.deny?.length ?? 0) > 0;
        const interactive = ctx.output.stdinIsTTY && ctx.output.stdoutIsTTY;
        if (!flagged && !interactive) {
          if (opts.yes !== true) {
            fail(
              'approve',
              new InvalidInputError(
                'no terminal to ask what to expose: add --recommended, --expose PATTERN / --deny PATTERN, or --yes to keep the current rules',
              ),
            );
          }
          finish('approve', 'kept the current exposure (change it any time with `atmosphere approve`)');
        } else {
          let outcome: Awaited<ReturnType<typeof runApprove>> | undefined;
          try {
            outcome = await runApprove(ctx, paths, request);
          } catch (err) {
            fail('approve', err);
          }
          if (outcome?.status !== 'written') {
            out.error(`${step('approve')} – not written; run \`atmosphere join\` again to resume here`);
            ctx.exit.code = 1;
            return;
          }
          const { exposed, private: kept } = outcome.summary;
          finish(
            'approve',
            `exposing ${exposed.length} (${exposed.map((e) => e.label).join(', ') || 'nothing'}), keeping ${kept.length} private`,
          );
        }
      } else {
        out.error(`${step('approve')} ✓ (done before)`);
      }

      // 5. Register with the mesh. When a previous run sent the registration and was interrupted
      //    before it could record the answer, "already a member" means it went through.
      let joined: JoinResult | null = null;
      if (!done.has('register')) {
        out.error(`      contacting ${invite!.addresses.length} address(es) of the inviting node ...`);
        const sentBefore = progress.registering === true;
        progress = { ...progress, registering: true };
        writeProgress(paths, progress);
        try {
          joined = await client!.request<JoinResult>('POST', '/api/join', { body: { token: invite!.text } });
        } catch (err) {
          const alreadyIn = err instanceof AtmosphereError && err.code === 'already_member';
          if (!(alreadyIn && sentBefore)) {
            // The node answered: this registration did not go through (only a run cut off while
            // waiting for the answer leaves `registering` set).
            progress = { ...progress, registering: false };
            writeProgress(paths, progress);
            fail('register', err);
          }
        }
        finish('register', joined ? `joined as ${joined.role}` : 'already a member');
      } else {
        out.error(`${step('register')} ✓ (done before)`);
      }

      // 6. Announce: wait for a connected member, then report what this node offers.
      const connected = await waitForMember(client!, invite!.meshId, waitSeconds * 1000);
      const exposure = await client!.request<{ capabilities: { exposed: boolean }[] }>(
        'GET',
        '/api/exposure',
      );
      const exposed = exposure.capabilities.filter((c) => c.exposed).length;
      finish(
        'announce',
        connected > 0
          ? `${exposed} capability(ies) announced to ${connected} connected member(s)`
          : `${exposed} capability(ies) announced; no member connected yet (the node keeps trying — see \`atmosphere mesh\`)`,
      );
      removeFile(progressPath(paths));

      if (opts.json === true) {
        out.json({
          meshId: invite!.meshId,
          meshName: invite!.meshName,
          role: joined?.role ?? invite!.role,
          issuerId: invite!.issuerId,
          nodeId: status.nodeId,
          exposedCapabilities: exposed,
          connectedMembers: connected,
          ready: true,
        });
        return;
      }
      out.line(`Joined mesh "${invite!.meshName}" (${invite!.meshId}) as ${joined?.role ?? invite!.role}.`);
      out.line(
        'Ready to receive work. See the mesh with `atmosphere mesh`, what you expose with `atmosphere approve --show`.',
      );
    });
}

/** Connected members of `meshId` once at least one is connected, or 0 after `timeoutMs`. */
async function waitForMember(client: ApiClient, meshId: string, timeoutMs: number): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const mesh = await client.request<{
        meshes: MeshInfo[];
        peers: { connected: boolean; meshIds?: string[] }[];
      }>('GET', '/api/mesh');
      const connected = mesh.peers.filter(
        (p) => p.connected && (p.meshIds === undefined || p.meshIds.includes(meshId)),
      );
      if (connected.length > 0) return connected.length;
    } catch {
      // the node is busy joining; ask again
    }
    if (Date.now() >= end) return 0;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
