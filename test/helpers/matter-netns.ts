/**
 * What the Matter tests and bench share: a network namespace with multicast on `lo` (Matter
 * commissioning needs mDNS, which plain loopback here does not carry), the matter.js devices of
 * `test/fixtures/matter-devices.ts` running inside it, and ways to run the built CLI and call a
 * node's HTTP API from inside it (the namespace's loopback is not the test's). Needs root and
 * iproute2; CI runs as root. Multicast never leaves the namespace, which is removed afterwards.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { CliResult } from './cli.js';
import { CLI, REPO_ROOT } from './cli.js';

const DEVICES = join(REPO_ROOT, 'test', 'fixtures', 'matter-devices.ts');
/** The CLI to run: the built one, or a copy of it (`ATMOSPHERE_TEST_CLI`, e.g. while dist/ is rebuilt). */
const CLI_PATH = process.env.ATMOSPHERE_TEST_CLI ?? CLI;

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Why Matter tests cannot run here, or null when they can. */
export function matterNetnsPrerequisite(): string | null {
  try {
    execFileSync('which', ['ip'], { stdio: 'ignore' });
  } catch {
    return 'the `ip` command (iproute2) is missing: install iproute2 (CI: .ci/apt-packages)';
  }
  if (process.getuid?.() !== 0) {
    return `network namespaces need root; this process runs as uid ${process.getuid?.()} (CI runs as root)`;
  }
  return null;
}

/** A network namespace whose `lo` carries IPv4 and IPv6 multicast (mDNS for Matter). */
export class MatterNetns {
  readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }

  /** Creates it; throws (with what is missing) when it cannot. */
  static create(label: string): MatterNetns {
    const missing = matterNetnsPrerequisite();
    if (missing !== null) throw new Error(`cannot run the Matter tests: ${missing}`);
    const ns = new MatterNetns(`atm-${label}-${process.pid}`);
    ns.remove();
    try {
      ip('netns', 'add', ns.name);
      ip('-n', ns.name, 'link', 'set', 'lo', 'up');
      ip('-n', ns.name, 'link', 'set', 'lo', 'multicast', 'on');
      ip('-n', ns.name, 'route', 'add', '224.0.0.0/4', 'dev', 'lo');
      ip('-n', ns.name, '-6', 'route', 'add', 'ff00::/8', 'dev', 'lo', 'table', 'local');
    } catch (err) {
      ns.remove();
      throw new Error(`could not create network namespace ${ns.name}: ${(err as Error).message}`);
    }
    return ns;
  }

  /** `ip netns exec NAME` + command, as spawn arguments. */
  exec(command: string, args: readonly string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', this.name, command, ...args]];
  }

  /** Kills what still runs inside and deletes the namespace (idempotent). */
  remove(): void {
    try {
      const pids = ip('netns', 'pids', this.name).split(/\s+/).filter(Boolean);
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    } catch {
      // no such namespace
    }
    try {
      ip('netns', 'del', this.name);
    } catch {
      // not there
    }
  }
}

export interface FixtureDevice {
  readonly name: 'light' | 'lock' | 'thermo' | 'contact' | 'hvac';
  readonly label: string;
  readonly port: number;
  readonly manualPairingCode: string;
  readonly qrPairingCode: string;
}

export interface DeviceStateChange {
  readonly device: string;
  readonly attribute: string;
  readonly value: unknown;
}

/** The matter.js devices of `test/fixtures/matter-devices.ts`, running in the namespace. */
export class MatterDevices {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<
    number,
    (reply: { ok: boolean; result?: unknown; error?: { message: string } }) => void
  >();
  private nextId = 1;
  private readonly stderr: string[] = [];
  readonly changes: DeviceStateChange[] = [];
  readonly ready: Promise<FixtureDevice[]>;

  constructor(ns: MatterNetns, storageDir: string, portBase: number) {
    const [cmd, args] = ns.exec(process.execPath, ['--import', 'tsx', DEVICES, storageDir]);
    this.child = spawn(cmd, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, MATTER_DEVICE_PORT_BASE: String(portBase) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let markReady!: (devices: FixtureDevice[]) => void;
    let fail!: (err: Error) => void;
    this.ready = new Promise((resolve, reject) => {
      markReady = resolve;
      fail = reject;
    });
    this.child.once('exit', (code) => {
      fail(new Error(`the Matter devices exited (${code}) before they were ready:\n${this.log()}`));
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (message.event === 'ready') markReady(message.devices as FixtureDevice[]);
      if (message.event === 'state') this.changes.push(message as unknown as DeviceStateChange);
      if (typeof message.id === 'number') {
        this.pending.get(message.id)?.(message as { ok: boolean });
        this.pending.delete(message.id);
      }
    });
    createInterface({ input: this.child.stderr }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 200) this.stderr.shift();
    });
  }

  log(): string {
    return this.stderr.join('\n');
  }

  /** Sends a fixture command (`set`, `tamper`, `stop`, `start`, `state`, `quit`). */
  async call<T>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 20_000): Promise<T> {
    await this.ready;
    const id = this.nextId++;
    const reply = await new Promise<{ ok: boolean; result?: unknown; error?: { message: string } }>(
      (resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new Error(`the Matter devices did not answer ${cmd} within ${timeoutMs} ms\n${this.log()}`));
        }, timeoutMs);
        this.pending.set(id, (r) => {
          clearTimeout(timer);
          resolve(r);
        });
        this.child.stdin.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
      },
    );
    if (!reply.ok) throw new Error(`the Matter devices failed ${cmd}: ${reply.error?.message ?? ''}`);
    return reply.result as T;
  }

  async quit(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.call('quit', {}, 5_000).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Runs the built CLI inside the namespace. */
export function nsAtmosphere(
  ns: MatterNetns,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CliResult> {
  const [cmd, argv] = ns.exec(process.execPath, [CLI_PATH, ...args]);
  return new Promise((resolve) => {
    execFile(
      cmd,
      argv,
      { env: options.env, timeout: options.timeoutMs ?? 60_000, encoding: 'utf8' },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

export interface ApiCall {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
}

export interface ApiReply {
  readonly status: number;
  readonly body: unknown;
  /** The HTTP round trip as the client inside the namespace measured it. */
  readonly ms: number;
}

const API_SCRIPT = `
const { readFileSync } = await import('node:fs');
const { join } = await import('node:path');
const [home, file] = process.argv.slice(1);
const info = JSON.parse(readFileSync(join(home, 'run', 'node.json'), 'utf8'));
const token = readFileSync(join(home, 'run', 'owner.token'), 'utf8').trim();
const calls = JSON.parse(readFileSync(file, 'utf8'));
const replies = [];
for (const call of calls) {
  const t0 = performance.now();
  const res = await fetch(info.apiUrl + call.path, {
    method: call.method,
    headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
    body: call.body === undefined ? undefined : JSON.stringify(call.body),
  });
  const text = await res.text();
  replies.push({ status: res.status, body: text ? JSON.parse(text) : null, ms: performance.now() - t0 });
}
process.stdout.write(JSON.stringify(replies));
`;

let callFiles = 0;

/** Calls a node's API (found through its home directory) from inside the namespace, in order. */
export async function nsApi(ns: MatterNetns, home: string, calls: readonly ApiCall[]): Promise<ApiReply[]> {
  const file = join(home, `api-calls-${process.pid}-${callFiles++}.json`);
  writeFileSync(file, JSON.stringify(calls));
  const [cmd, argv] = ns.exec(process.execPath, ['--input-type=module', '-e', API_SCRIPT, home, file]);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      cmd,
      argv,
      { timeout: 120_000, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (err, out, errOut) => {
        if (err) reject(new Error(`API call inside ${ns.name} failed: ${errOut || err.message}`));
        else resolve(out);
      },
    );
  });
  return JSON.parse(stdout) as ApiReply[];
}

/** One API call from inside the namespace. */
export async function nsApiOne(ns: MatterNetns, home: string, call: ApiCall): Promise<ApiReply> {
  const [reply] = await nsApi(ns, home, [call]);
  if (!reply) throw new Error('no reply');
  return reply;
}
