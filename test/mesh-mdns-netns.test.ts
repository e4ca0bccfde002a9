/**
 * mDNS discovery between two nodes in two network namespaces joined by a veth pair. Multicast
 * never leaves the namespaces this test creates (and removes). Needs root and iproute2 (`ip`); CI
 * runs as root. Each node is its own process (`test/fixtures/mesh-node-runner.ts`) started with
 * `ip netns exec`.
 *
 * The scenario makes mDNS the only way back: node B joins node A's mesh with an invite (dialing A's
 * veth address), then restarts on a new port with every remembered address forgotten. A cannot
 * reach B (B's old address is stale) and B does not know where A is, so they meet again only if
 * mDNS finds the way.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedInvite, MeshPeerInfo } from '../src/core/index.js';

const ROOT = join(import.meta.dirname, '..');
const RUNNER = join(ROOT, 'test', 'fixtures', 'mesh-node-runner.ts');
const NS_A = `atm-mdns-${process.pid}-a`;
const NS_B = `atm-mdns-${process.pid}-b`;
// interface names are at most 15 characters; they exist only inside the two namespaces
const VETH_A = `ma${process.pid}`;
const VETH_B = `mb${process.pid}`;
const SUBNET = `10.231.${process.pid % 250}`;
const ADDR_A = `${SUBNET}.1`;
const ADDR_B = `${SUBNET}.2`;
const PORT_A = 4101;
const DISCOVERY_BOUND_MS = 15_000;

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Why this test cannot run here, or null when it can. */
function missingPrerequisite(): string | null {
  try {
    execFileSync('which', ['ip'], { stdio: 'ignore' });
  } catch {
    return 'the `ip` command (iproute2) is missing: install iproute2 (CI: add it to .ci/apt-packages)';
  }
  if (process.getuid?.() !== 0) {
    return `creating network namespaces needs root; this test runs as uid ${process.getuid?.()}`;
  }
  return null;
}

function removeNamespaces(): void {
  for (const ns of [NS_A, NS_B]) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // not created (or already gone)
    }
  }
}

function createNamespaces(): void {
  ip('netns', 'add', NS_A);
  ip('netns', 'add', NS_B);
  ip('link', 'add', VETH_A, 'netns', NS_A, 'type', 'veth', 'peer', 'name', VETH_B, 'netns', NS_B);
  for (const [ns, dev, addr] of [
    [NS_A, VETH_A, ADDR_A],
    [NS_B, VETH_B, ADDR_B],
  ] as const) {
    ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'multicast', 'on');
    ip('-n', ns, 'link', 'set', dev, 'multicast', 'on');
    ip('-n', ns, 'link', 'set', dev, 'up');
    // the namespaces have no default route: send mDNS (224.0.0.251) over the veth pair
    ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', dev);
  }
}

interface Reply {
  readonly id: number | null;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
}

interface Started {
  readonly nodeId: string;
  readonly addresses: string[];
  readonly mdnsActive: boolean;
}

/** A mesh node running in a namespace, driven over its stdin/stdout (see the runner). */
class NamespacedNode {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  private nextId = 1;
  private readonly stderrLines: string[] = [];
  private readonly exited: Promise<void>;
  readonly ready: Promise<void>;
  readonly label: string;

  constructor(label: string, namespace: string) {
    this.label = label;
    this.child = spawn('ip', ['netns', 'exec', namespace, process.execPath, '--import', 'tsx', RUNNER], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', () => {
        resolve();
      });
    });
    let markReady!: () => void;
    this.ready = new Promise((resolve) => {
      markReady = resolve;
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let message: { event?: string; id?: number | null };
      try {
        message = JSON.parse(line) as { event?: string; id?: number | null };
      } catch {
        this.stderrLines.push(`stdout: ${line}`);
        return;
      }
      if (message.event === 'ready') markReady();
      if (typeof message.id === 'number') {
        this.pending.get(message.id)?.(message as Reply);
        this.pending.delete(message.id);
      }
    });
    createInterface({ input: this.child.stderr }).on('line', (line) => {
      this.stderrLines.push(line);
      if (this.stderrLines.length > 200) this.stderrLines.shift();
    });
  }

  /** Sends a command and resolves with its result; rejects with the node's error (and its stderr). */
  async call<T>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 20_000): Promise<T> {
    await this.ready;
    const id = this.nextId++;
    const reply = await new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.label}: no reply to ${cmd} within ${timeoutMs} ms\n${this.log()}`));
      }, timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.child.stdin.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
    if (!reply.ok) {
      throw new Error(
        `${this.label}: ${cmd} failed: ${reply.error?.code} ${reply.error?.message}\n${this.log()}`,
      );
    }
    return reply.result as T;
  }

  log(): string {
    return this.stderrLines.join('\n');
  }

  /** Asks the node to quit; kills it when it does not exit in time. */
  async quit(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await this.call('quit', {}, 5_000).catch(() => undefined);
    const timer = setTimeout(() => {
      this.child.kill('SIGKILL');
    }, 3_000);
    await this.exited;
    clearTimeout(timer);
  }
}

const nodes: NamespacedNode[] = [];

/** Polls `predicate` every 100 ms; on timeout fails with `what` and the nodes' logs. */
async function waitUntil(
  predicate: () => Promise<boolean>,
  what: string,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await predicate()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) {
      const logs = nodes.map((node) => `--- ${node.label} ---\n${node.log()}`).join('\n');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${logs}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function connectedTo(node: NamespacedNode, nodeId: string): Promise<boolean> {
  const peers = await node.call<MeshPeerInfo[]>('peers');
  return peers.some((p) => p.nodeId === nodeId && p.connected);
}

function startNode(label: string, namespace: string): NamespacedNode {
  const node = new NamespacedNode(label, namespace);
  nodes.push(node);
  return node;
}

/** A in namespace a founds a mesh; B in namespace b joins it with an invite over the veth pair. */
async function joinedPair(): Promise<{ a: NamespacedNode; b: NamespacedNode; aId: string; bId: string }> {
  const a = startNode('A', NS_A);
  const b = startNode('B', NS_B);
  const startedA = await a.call<Started>('start', {
    keySeed: 31,
    name: 'a',
    listenHost: ADDR_A,
    tcpPort: PORT_A,
    mdns: true,
  });
  const startedB = await b.call<Started>('start', {
    keySeed: 32,
    name: 'b',
    listenHost: ADDR_B,
    tcpPort: 4201,
    mdns: true,
  });
  const { meshId } = await a.call<{ meshId: string }>('createMesh', { name: 'Netns' });
  const invite = await a.call<CreatedInvite>('createInvite', { meshId });
  expect(invite.addresses).toEqual([`/ip4/${ADDR_A}/tcp/${PORT_A}`]);
  await b.call('join', { token: invite.token });
  await waitUntil(async () => await connectedTo(b, startedA.nodeId), 'B to connect to A', 10_000);
  await waitUntil(async () => await connectedTo(a, startedB.nodeId), 'A to see B', 10_000);
  return { a, b, aId: startedA.nodeId, bId: startedB.nodeId };
}

/** Restarts B on a new port with every remembered address forgotten. */
async function restartForgetful(b: NamespacedNode, tcpPort: number, mdns: boolean): Promise<Started> {
  await b.call('stop');
  const started = await b.call<Started>('start', {
    keySeed: 32,
    name: 'b',
    listenHost: ADDR_B,
    tcpPort,
    mdns,
    forgetPeers: true,
  });
  expect(started.addresses).toEqual([`/ip4/${ADDR_B}/tcp/${tcpPort}/p2p/${started.nodeId}`]);
  return started;
}

describe('mDNS discovery across two network namespaces', () => {
  beforeAll(() => {
    const missing = missingPrerequisite();
    if (missing !== null) throw new Error(`mesh-mdns-netns needs root and iproute2: ${missing}`);
    removeNamespaces();
    try {
      createNamespaces();
    } catch (err) {
      removeNamespaces();
      throw err;
    }
  });

  afterEach(async () => {
    await Promise.all(nodes.map(async (node) => await node.quit()));
    nodes.length = 0;
  });

  afterAll(() => {
    removeNamespaces();
  });

  it('reconnects a member that forgot every address to its mesh peer by mDNS alone', async () => {
    const { a, b, aId, bId } = await joinedPair();
    const restarted = await restartForgetful(b, 4202, true);
    expect(restarted.mdnsActive).toBe(true);
    const status = await b.call<{ knownPeers: unknown[] }>('status');
    expect(status.knownPeers).toEqual([]);
    const elapsedMs = await waitUntil(
      async () => (await connectedTo(b, aId)) && (await connectedTo(a, bId)),
      'B and A to find each other by mDNS',
      DISCOVERY_BOUND_MS,
    );
    expect(elapsedMs).toBeLessThan(DISCOVERY_BOUND_MS);
    const viewOfA = (await b.call<MeshPeerInfo[]>('peers')).find((p) => p.nodeId === aId);
    expect(viewOfA?.addresses).toEqual([`/ip4/${ADDR_A}/tcp/${PORT_A}/p2p/${aId}`]);
  }, 60_000);

  it('leaves the same member apart from its peer when its mDNS is off', async () => {
    const { a, b, aId, bId } = await joinedPair();
    const restarted = await restartForgetful(b, 4203, false);
    expect(restarted.mdnsActive).toBe(false);
    // long enough for a query and its answer had B been browsing (B's first query goes out at start)
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(await connectedTo(b, aId)).toBe(false);
    expect(await connectedTo(a, bId)).toBe(false);
    const viewOfA = (await b.call<MeshPeerInfo[]>('peers')).find((p) => p.nodeId === aId);
    expect(viewOfA).toMatchObject({ connected: false, addresses: [] });
  }, 60_000);
});
