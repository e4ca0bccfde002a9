import { readFileSync } from 'node:fs';
import type { JoinResult } from '../core/index.js';
import { NotFoundError, decodeInviteToken } from '../core/index.js';
import { atomicWriteFileSync } from './fs-atomic.js';

/** The join steps `atmosphere join` records in `<home>/join.json` (src/cli/commands/join.ts). */
const STEPS_BEFORE_REGISTER = ['validate', 'node', 'scan', 'approve'] as const;

export interface PendingJoin {
  readonly meshId: string;
  readonly meshName: string;
  readonly role: string;
  readonly done: readonly string[];
  readonly startedAtMs: number;
  readonly expiresAtMs: number | null;
}

interface JoinFile {
  readonly token: string;
  readonly meshId?: unknown;
  readonly meshName?: unknown;
  readonly done: readonly unknown[];
  readonly startedAtMs?: unknown;
  readonly registering?: unknown;
}

/**
 * The join an `atmosphere join` left in `<home>/join.json` before registering (it had no terminal
 * to ask what to expose, or was stopped): the web panel shows it and finishes it. Finishing
 * registers with the mesh, then records `approve` and `register` as done (so `atmosphere join`
 * resumes at announcing, or says the join is complete).
 */
export class PendingJoinFile {
  private readonly mesh: { join(token: string, options?: { signal?: AbortSignal }): Promise<JoinResult> };
  private readonly path: string;

  constructor(
    components: { mesh: { join(token: string, options?: { signal?: AbortSignal }): Promise<JoinResult> } },
    init: { path: string },
  ) {
    this.mesh = components.mesh;
    this.path = init.path;
  }

  private read(): JoinFile | null {
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<JoinFile>;
      if (typeof parsed.token !== 'string' || !Array.isArray(parsed.done)) return null;
      return parsed as JoinFile;
    } catch {
      return null;
    }
  }

  /** The join waiting to register, or null (none, unreadable, or already registered). */
  pending(): PendingJoin | null {
    const file = this.read();
    if (file === null || file.done.includes('register') || file.registering === true) return null;
    let role = 'member';
    let expiresAtMs: number | null = null;
    let meshId = typeof file.meshId === 'string' ? file.meshId : '';
    let meshName = typeof file.meshName === 'string' ? file.meshName : '';
    try {
      const invite = decodeInviteToken(file.token);
      role = invite.role;
      expiresAtMs = invite.expiresAtMs;
      meshId ||= invite.meshId;
      meshName ||= invite.meshName;
    } catch {
      return null;
    }
    return {
      meshId,
      meshName,
      role,
      done: file.done.filter((s): s is string => typeof s === 'string'),
      startedAtMs: typeof file.startedAtMs === 'number' ? file.startedAtMs : 0,
      expiresAtMs,
    };
  }

  async complete(options: { signal?: AbortSignal } = {}): Promise<JoinResult> {
    const file = this.read();
    if (file === null || this.pending() === null) {
      throw new NotFoundError('no join in progress: start one with `atmosphere join TOKEN`');
    }
    const result = await this.mesh.join(file.token, options);
    const done = new Set(file.done.filter((s): s is string => typeof s === 'string'));
    for (const step of [...STEPS_BEFORE_REGISTER, 'register']) done.add(step);
    atomicWriteFileSync(
      this.path,
      `${JSON.stringify({ ...file, meshId: result.meshId, meshName: result.meshName, done: [...done], registering: true }, null, 2)}\n`,
      { mode: 0o600 },
    );
    return result;
  }
}
