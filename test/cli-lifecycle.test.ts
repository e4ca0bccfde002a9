import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ensureBuilt, runAtmosphere, tempHome } from './helpers/cli.js';

beforeAll(() => ensureBuilt(), 120_000);

interface StartJson {
  pid: number;
  nodeId: string;
  apiUrl: string;
  uiUrl: string;
}

/** Alive and not a zombie (a detached node whose parent exited may linger unreaped in containers). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntilDead(pid: number, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (isAlive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

describe('the atmosphere CLI drives a node through its whole lifecycle', () => {
  const home = tempHome();
  const atm = (...args: string[]) => runAtmosphere(['--home', home.dir, ...args]);
  let started: StartJson;
  const pids: number[] = [];

  beforeAll(async () => {
    const init = await atm('init', '--name', 'lifecycle-test');
    expect(init.code).toBe(0);
  });

  afterAll(async () => {
    await atm('stop', '--timeout', '5');
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    home.cleanup();
  });

  it('init is idempotent and prints the same node id each time', async () => {
    const first = await atm('init', '--json');
    const second = await atm('init');
    expect(first.code).toBe(0);
    const parsed = JSON.parse(first.stdout) as { nodeId: string; created: boolean };
    expect(parsed.created).toBe(false);
    expect(second.stdout.trim()).toBe(parsed.nodeId);
    expect(parsed.nodeId).toMatch(/^12D3KooW/);
    expect(statSync(join(home.dir, 'identity.key')).mode & 0o777).toBe(0o600);
    expect(statSync(home.dir).mode & 0o777).toBe(0o700);
  });

  it('start returns once the node answers and status --json describes it', async () => {
    const res = await atm('start', '--port', '0', '--p2p-port', '0', '--ws-port', '0', '--no-mdns', '--json');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    started = JSON.parse(res.stdout) as StartJson;
    pids.push(started.pid);
    expect(started.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const status = await atm('status', '--json');
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout) as Record<string, unknown>;
    expect(s).toMatchObject({
      nodeId: started.nodeId,
      name: 'lifecycle-test',
      running: true,
      pid: started.pid,
    });
    expect(s.apiUrl).toBe(started.apiUrl);
    expect(typeof s.version).toBe('string');
    expect(typeof s.uptimeSeconds).toBe('number');
    expect(Array.isArray(s.meshes)).toBe(true);
    expect(Array.isArray(s.peers)).toBe(true);
  });

  it('serves /health without a token and control endpoints only with the owner token', async () => {
    const health = await fetch(`${started.apiUrl}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('ok');

    const noToken = await fetch(`${started.apiUrl}/api/status`);
    expect(noToken.status).toBe(401);
    const body = (await noToken.json()) as { error: { message: string; type: string; code: string } };
    expect(body.error.code).toBeTruthy();

    const tokenPath = join(home.dir, 'run', 'owner.token');
    expect(statSync(tokenPath).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokenPath, 'utf8').trim();
    const ok = await fetch(`${started.apiUrl}/api/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    const wrong = await fetch(`${started.apiUrl}/api/status`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
  });

  it('refuses a second start of the same home and says it is already running', async () => {
    const res = await atm('start', '--port', '0');
    expect(res.code).toBe(4);
    expect(res.stderr).toMatch(/already running/);
    expect(res.stderr).toContain(String(started.pid));
  });

  it('fails clearly when the API port is taken', async () => {
    const other = tempHome();
    const port = new URL(started.apiUrl).port;
    const res = await runAtmosphere([
      '--home',
      other.dir,
      'start',
      '--port',
      port,
      '--p2p-port',
      '0',
      '--no-mdns',
    ]);
    other.cleanup();
    expect(res.code).toBe(4);
    expect(res.stderr).toMatch(/port_in_use|in use/);
    expect(res.stderr).toContain(port);
  });

  it('ui prints a one-time login link that opens a session once', async () => {
    const res = await atm('ui', '--no-open', '--json');
    expect(res.code).toBe(0);
    const login = JSON.parse(res.stdout) as { url: string; expiresAt: string };
    expect(login.url).toContain(started.apiUrl);
    const first = await fetch(login.url, { redirect: 'manual' });
    expect(first.status).toBe(302);
    expect(first.headers.get('set-cookie')).toMatch(/HttpOnly/i);
    const again = await fetch(login.url, { redirect: 'manual' });
    expect(again.status).toBe(401);
  });

  it('logs shows what the node wrote, filtered by level and as JSON', async () => {
    const text = await atm('logs', '-n', '200');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('node started');
    const json = await atm('logs', '--json', '-n', '5');
    const lines = json.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    const errorsOnly = await atm('logs', '--level', 'error', '-n', '200');
    expect(errorsOnly.stdout).not.toContain('node started');
  });

  it('recovers on the next start after the node was killed with SIGKILL', async () => {
    process.kill(started.pid, 'SIGKILL');
    await waitUntilDead(started.pid);
    const down = await atm('status');
    expect(down.code).toBe(3);

    const res = await atm('start', '--port', '0', '--p2p-port', '0', '--ws-port', '0', '--no-mdns', '--json');
    expect(res.code).toBe(0);
    const again = JSON.parse(res.stdout) as StartJson;
    pids.push(again.pid);
    expect(again.pid).not.toBe(started.pid);
    expect(again.nodeId).toBe(started.nodeId);
    const logs = await atm('logs', '-n', '500', '--json');
    expect(logs.stdout).toContain('did not stop cleanly');
    started = again;
  });

  it('stop stops the node gracefully and status then says it is not running', async () => {
    const res = await atm('stop');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/stopped/);
    expect(isAlive(started.pid)).toBe(false);
    const logs = await atm('logs', '-n', '20');
    expect(logs.stdout).toContain('node stopped');

    const status = await atm('status');
    expect(status.code).toBe(3);
    expect(status.stderr).toMatch(/not running/);
    const json = await atm('status', '--json');
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ running: false, nodeId: started.nodeId });
  });
});

describe('starting with a broken configuration', () => {
  it('fails before launching anything and names the file, line and key', async () => {
    const home = tempHome();
    try {
      writeFileSync(join(home.dir, 'config.yaml'), 'api:\n  port: "not a port"\n');
      const res = await runAtmosphere(['--home', home.dir, 'start']);
      expect(res.code).toBe(78);
      expect(res.stderr).toContain('config.yaml:2');
      expect(res.stderr).toContain('api.port');
    } finally {
      home.cleanup();
    }
  });

  it('honours ATMOSPHERE_HOME when --home is not given', async () => {
    const home = tempHome();
    try {
      const res = await runAtmosphere(['init', '--json'], { env: cleanEnv({ ATMOSPHERE_HOME: home.dir }) });
      expect(res.code).toBe(0);
      expect((JSON.parse(res.stdout) as { home: string }).home).toBe(home.dir);
    } finally {
      home.cleanup();
    }
  });
});

describe('a port already bound by another program', () => {
  it('is reported as port in use with exit code 4', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const home = tempHome();
    try {
      const res = await runAtmosphere([
        '--home',
        home.dir,
        'start',
        '--port',
        String(port),
        '--p2p-port',
        '0',
        '--no-mdns',
      ]);
      expect(res.code).toBe(4);
      expect(res.stderr).toContain(`127.0.0.1:${port}`);
    } finally {
      server.close();
      home.cleanup();
    }
  });
});
