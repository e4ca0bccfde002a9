import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { HomePaths } from '../../client/index.js';
import { ApiClient, readOwnerToken, runningNode } from '../../client/index.js';
import type { MeshInfo } from '../../core/index.js';
import { InvalidInputError, MeshNotFoundError, NodeNotRunningError } from '../../core/errors.js';

/**
 * The node id recorded in the identity file, when there is one; never creates one. Read without
 * loading the key (the file is verified when the node starts), so status stays fast.
 */
export function nodeIdIfAny(paths: HomePaths): string | null {
  try {
    const parsed = JSON.parse(readFileSync(paths.identityKey, 'utf8')) as { nodeId?: unknown };
    return typeof parsed.nodeId === 'string' ? parsed.nodeId : null;
  } catch {
    return null;
  }
}

/** The API client of the running node of this home, or a clear error telling how to start it. */
export function connectToNode(paths: HomePaths): ApiClient {
  const running = runningNode(paths.root);
  const token = readOwnerToken(paths.root);
  if (!running?.state || !token) {
    throw new NodeNotRunningError(
      running
        ? `the node (pid ${running.pid}) is starting or not answering yet; try again shortly`
        : `Atmosphere is not running (home: ${paths.root}); start it with \`atmosphere start\``,
    );
  }
  return new ApiClient({ baseUrl: running.state.apiUrl, token, ca: running.state.apiCa });
}

/** `24h`, `30m`, `7d`, `90s` or plain seconds → seconds. */
export function parseDurationSeconds(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/i.exec(text.trim());
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[(m?.[2] ?? '').toLowerCase()];
  if (!m || unit === undefined) {
    throw new InvalidInputError(`${flag} expects a duration like 30m, 24h or 7d, got "${text}"`);
  }
  return Math.round(Number(m[1]) * unit);
}

/**
 * The mesh a command means: `--mesh` matched against ids and names, or the only mesh this node
 * belongs to.
 */
export function resolveMesh(meshes: readonly MeshInfo[], wanted: string | undefined): MeshInfo {
  if (wanted !== undefined) {
    const byId = meshes.find((m) => m.meshId === wanted);
    if (byId) return byId;
    const byName = meshes.filter((m) => m.name === wanted);
    if (byName.length === 1 && byName[0]) return byName[0];
    if (byName.length > 1) {
      throw new InvalidInputError(
        `several meshes are named "${wanted}": ${byName.map((m) => m.meshId).join(', ')}; pass the mesh id`,
      );
    }
    throw new MeshNotFoundError(
      `this node is not a member of a mesh "${wanted}"${meshes.length ? `; its meshes: ${describeMeshes(meshes)}` : ''}`,
    );
  }
  if (meshes.length === 1 && meshes[0]) return meshes[0];
  if (meshes.length === 0) {
    throw new MeshNotFoundError(
      'this node belongs to no mesh yet: create one with `atmosphere mesh create NAME` or join one with `atmosphere join TOKEN`',
    );
  }
  throw new InvalidInputError(
    `this node belongs to several meshes (${describeMeshes(meshes)}); choose one with --mesh`,
  );
}

function describeMeshes(meshes: readonly MeshInfo[]): string {
  return meshes.map((m) => `${m.name} (${m.meshId})`).join(', ');
}

/** Asks a yes/no question on a terminal; never called without one. */
export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
