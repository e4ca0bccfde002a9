/**
 * The phone app end to end, in real Chromium (Debian's, driven by playwright-core) emulating a
 * Pixel 7, with Chromium's fake camera and microphone and an emulated position, against two real
 * node processes: "home" (relay, with an Ollama double) serves the app, "desk" is another member.
 * The page joins the mesh with an invite link from `atmosphere invite --phone`, becomes a member
 * with its own identity, shares its location and camera, and then: desk routes "where is my
 * phone?" to the phone's get_location and gets the emulated coordinates; desk runs take_photo and
 * gets a JPEG from the fake camera; a geofence the owner drew on the phone fires when the emulated
 * position crosses it and reaches a webhook subscribed on desk; a chat from the phone is routed
 * and streamed back; and once home revokes the phone, it is cut off. Screenshots go to
 * test-artifacts/phone/.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { devices } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OllamaDouble } from './doubles/ollama-double.js';
import { CHROMIUM, launchChromium } from './helpers/chromium.js';
import { REPO_ROOT, cleanEnv, ensureBuilt, runAtmosphere, tempHome, waitFor } from './helpers/cli.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'phone');

/** Where the phone starts (outside the fence) and where it goes (inside). */
const START = { latitude: 52.52, longitude: 13.405 };
const FENCE = { name: 'office', latitude: 52.53, longitude: 13.405, radiusM: 300 };
const INSIDE = { latitude: 52.5301, longitude: 13.4051 };

interface GeofenceEvent {
  readonly trigger: string;
  readonly capability: string;
  readonly payload: { fence: string; event: string };
  readonly origin: { nodeId: string };
}

interface Hook {
  readonly server: Server;
  readonly url: string;
  readonly events: unknown[];
}

/** A webhook receiver on 127.0.0.1: the subscriber on desk delivers trigger events here. */
async function startHook(): Promise<Hook> {
  const events: unknown[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      try {
        events.push(JSON.parse(body));
      } catch {
        events.push({ unparsable: body });
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/hook`, events };
}

/** A TCP port free on 127.0.0.1 right now (so a restarted node comes back where members knew it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `atmosphere start` on fixed ports (mesh on loopback, no mDNS). */
async function startArgs(): Promise<string[]> {
  const [api, tcp, ws] = [await freePort(), await freePort(), await freePort()];
  return [
    'start',
    '--port',
    `${api}`,
    '--p2p-port',
    `${tcp}`,
    '--ws-port',
    `${ws}`,
    '--p2p-host',
    '127.0.0.1',
    '--no-mdns',
  ];
}

beforeAll(() => ensureBuilt(), 180_000);

describe('a phone in the mesh, in Chromium', () => {
  if (!existsSync(CHROMIUM)) {
    it('needs Debian chromium at /usr/bin/chromium (apt-get install chromium; .ci/apt-packages lists it)', () => {
      throw new Error(`${CHROMIUM} is missing`);
    });
    return;
  }

  let ollama: OllamaDouble;
  let hook: Hook;
  const homes = { home: tempHome('atm-phh-'), desk: tempHome('atm-phd-') };
  const profile = mkdtempSync(join(tmpdir(), 'atm-phone-chromium-'));
  const envs = {
    home: () =>
      cleanEnv({
        ATMOSPHERE_INTEGRATIONS__OLLAMA__URL: ollama.url,
        ATMOSPHERE_INTEGRATIONS__LLAMAFARM__ENABLED: 'false',
      }),
    desk: () =>
      cleanEnv({
        ATMOSPHERE_INTEGRATIONS__OLLAMA__ENABLED: 'false',
        ATMOSPHERE_INTEGRATIONS__LLAMAFARM__ENABLED: 'false',
      }),
  };
  const atm = (who: keyof typeof homes, ...args: string[]) =>
    runAtmosphere(['--home', homes[who].dir, ...args], { env: envs[who](), timeoutMs: 90_000 });
  let apiDesk = '';
  const start = { home: [] as string[], desk: [] as string[] };
  let deskToken = '';
  let phoneId = '';
  let context: BrowserContext;
  let page: Page;
  let cspViolations: string[] = [];
  let pageErrors: string[] = [];

  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  };
  const tab = async (name: string): Promise<void> => {
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name }).click();
  };
  const deskApi = async (method: string, path: string, body?: unknown): Promise<Response> =>
    await fetch(`${apiDesk}${path}`, {
      method,
      headers: { authorization: `Bearer ${deskToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ollama = await OllamaDouble.start({ chunkDelayMs: 50 });
    hook = await startHook();
    writeFileSync(
      join(homes.home.dir, 'config.yaml'),
      ['expose:', '  models:', '    ollama: ["qwen3:1.7b"]', ''].join('\n'),
    );
    start.home = [...(await startArgs()), '--name', 'home', '--relay', '--json'];
    start.desk = [...(await startArgs()), '--name', 'desk', '--json'];
    const home = await atm('home', ...start.home);
    expect(home.code, home.stderr).toBe(0);
    expect((await atm('home', 'mesh', 'create', 'family')).code).toBe(0);

    const desk = await atm('desk', ...start.desk);
    expect(desk.code, desk.stderr).toBe(0);
    apiDesk = (JSON.parse(desk.stdout) as { apiUrl: string }).apiUrl;
    deskToken = readFileSync(join(homes.desk.dir, 'run', 'owner.token'), 'utf8').trim();
    const forDesk = JSON.parse((await atm('home', 'invite', '--json')).stdout) as { token: string };
    const joined = await atm('desk', 'join', forDesk.token, '--yes', '--json', '--wait-seconds', '20');
    expect(joined.code, joined.stderr).toBe(0);
    const subscribed = await deskApi('POST', '/api/subscriptions', {
      url: hook.url,
      match: 'phone/location/*',
    });
    expect(subscribed.status, await subscribed.clone().text()).toBe(201);

    ({ context, page, cspViolations, pageErrors } = await launchChromium(profile, {
      ...devices['Pixel 7'],
      // fake camera and microphone that need no prompt
      extraArgs: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
      geolocation: START,
      permissions: ['geolocation', 'camera', 'microphone', 'notifications'],
    }));
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    for (const who of ['home', 'desk'] as const) {
      await atm(who, 'stop', '--timeout', '5');
      homes[who].cleanup();
    }
    await ollama?.close();
    await new Promise<void>((resolve) => (hook ? hook.server.close(() => resolve()) : resolve()));
    rmSync(profile, { recursive: true, force: true });
  });

  it('joins from the invite link as a member with its own identity, and is installable', async () => {
    const invite = await atm('home', 'invite', '--phone', '--qr', '--json');
    expect(invite.code, invite.stderr).toBe(0);
    const { phoneLinks, phoneLocalOnly, token, qr } = JSON.parse(invite.stdout) as {
      phoneLinks: string[];
      phoneLocalOnly: boolean;
      token: string;
      qr: string;
    };
    const link = phoneLinks[0] ?? '';
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/phone\/#join=atm1\./);
    expect(link.endsWith(token)).toBe(true);
    expect(phoneLocalOnly).toBe(true);
    expect(qr.length).toBeGreaterThan(100);

    await page.goto(link);
    expect(await page.getByRole('textbox', { name: 'Invite' }).inputValue()).toContain(token);
    await shot('join');
    await page.getByRole('button', { name: 'Join mesh' }).click();
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor({ timeout: 30_000 });
    // the token left the address bar once used
    expect(new URL(page.url()).hash).toBe('');
    await shot('home');

    const members = JSON.parse((await atm('home', 'mesh', 'members', '--json')).stdout) as {
      members: { nodeId: string; name: string; role: string }[];
    };
    const phone = members.members.find((m) => m.name === 'Android phone');
    expect(phone).toMatchObject({ role: 'member' });
    phoneId = phone?.nodeId ?? '';
    // its own Ed25519 identity, kept in the browser's storage
    const stored = await page.evaluate("localStorage.getItem('atmosphere.phone.key')");
    expect(stored).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(phoneId).toMatch(/^12D3KooW/);

    // installable: manifest with icons, and a service worker controlling /phone/
    const manifest = (await (
      await page.request.get(new URL('/phone/manifest.webmanifest', page.url()).href)
    ).json()) as {
      start_url: string;
      display: string;
      icons: { src: string; sizes: string }[];
    };
    expect(manifest).toMatchObject({ start_url: '/phone/', display: 'standalone' });
    for (const icon of manifest.icons)
      expect((await page.request.get(new URL(icon.src, page.url()).href)).status()).toBe(200);
    const scope = await page.evaluate<string>('navigator.serviceWorker.ready.then((r) => r.scope)');
    expect(new URL(scope).pathname).toBe('/phone/');
  }, 90_000);

  it('shares nothing until the owner approves it on the phone', async () => {
    const before = await atm('desk', 'call', 'phone/location', '--tool', 'get_location', '--json');
    expect(before.code).not.toBe(0);
    await tab('Capabilities');
    for (const name of ['Camera', 'Microphone', 'Location', 'Motion', 'Notifications']) {
      expect(await page.getByRole('checkbox', { name }).isChecked()).toBe(false);
    }
    await page.getByRole('checkbox', { name: 'Location' }).check();
    await page.getByRole('checkbox', { name: 'Camera' }).check();
    await page.getByRole('textbox', { name: 'Fence name' }).fill(FENCE.name);
    await page.getByRole('textbox', { name: 'Latitude' }).fill(String(FENCE.latitude));
    await page.getByRole('textbox', { name: 'Longitude' }).fill(String(FENCE.longitude));
    await page.getByRole('textbox', { name: 'Radius (m)' }).fill(String(FENCE.radiusM));
    await page.getByRole('button', { name: 'Add fence' }).click();
    await page.getByRole('list', { name: 'Saved geofences' }).getByText(FENCE.name).waitFor();
    await shot('capabilities');
  });

  it('answers "where is my phone?" from desk with the emulated coordinates', async () => {
    // once desk has indexed both of the phone's capabilities (announced by gossip, fetched by digest)
    await waitFor(
      "the phone's capabilities at desk",
      async () => {
        const res = await deskApi('POST', '/api/route', { intent: 'where is my phone?', top: 10 });
        const route = (await res.json()) as { candidates: { capabilityId: string; nodeId: string }[] };
        const ids = route.candidates.filter((c) => c.nodeId === phoneId).map((c) => c.capabilityId);
        return ids.includes('phone/location') && ids.includes('phone/camera') ? true : undefined;
      },
      45_000,
    );
    const asked = await atm('desk', 'call', 'where is my phone?', '--json');
    expect(asked.code, asked.stderr).toBe(0);
    const invocation = JSON.parse(asked.stdout) as {
      nodeId: string;
      capabilityId: string;
      tool: string;
      result: { latitude: number; longitude: number };
    };
    expect(invocation).toMatchObject({
      nodeId: phoneId,
      capabilityId: 'phone/location',
      tool: 'get_location',
    });
    expect(invocation.result.latitude).toBeCloseTo(START.latitude, 4);
    expect(invocation.result.longitude).toBeCloseTo(START.longitude, 4);
  }, 90_000);

  it('takes a photo with the fake camera for desk', async () => {
    const photo = await atm('desk', 'call', 'phone/camera', '--tool', 'take_photo', '--json');
    expect(photo.code, photo.stderr).toBe(0);
    const { result } = JSON.parse(photo.stdout) as {
      result: { mimeType: string; width: number; height: number; dataBase64: string };
    };
    expect(result.mimeType).toBe('image/jpeg');
    expect(result.width).toBeGreaterThan(0);
    const bytes = Buffer.from(result.dataBase64, 'base64');
    // a JPEG: starts with SOI, ends with EOI
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    expect([...bytes.subarray(-2)]).toEqual([0xff, 0xd9]);
    writeFileSync(join(ARTIFACTS, 'photo.jpg'), bytes);

    await tab('Requests');
    await page.getByText('take_photo').first().waitFor();
    await shot('requests');
  }, 60_000);

  it("fires the geofence when the phone enters it, and desk's subscriber gets it once", async () => {
    await context.setGeolocation(INSIDE);
    const event = await waitFor(
      'the geofence event at desk',
      () =>
        hook.events.find((e) => (e as { trigger?: string }).trigger === 'geofence') as
          GeofenceEvent | undefined,
      30_000,
    );
    expect(event).toMatchObject({
      capability: 'phone/location',
      payload: { fence: FENCE.name, event: 'enter' },
    });
    expect(event.origin.nodeId).toBe(phoneId);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(hook.events.filter((e) => (e as { trigger?: string }).trigger === 'geofence')).toHaveLength(1);
  }, 60_000);

  it('chats with the mesh: model "auto" is routed by a node and streams back', async () => {
    await tab('Chat');
    await page.getByRole('textbox', { name: 'Message' }).fill('Write a haiku about the sea');
    await page.getByRole('button', { name: 'Send' }).click();
    const log = page.getByRole('log');
    // home routes it, and of home's own models only the one its owner exposes may serve a member
    await log.getByText(/answered by home · qwen3:1\.7b/).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Send' }).waitFor({ timeout: 30_000 });
    expect((await log.innerText()).length).toBeGreaterThan(40);
    expect(ollama.requestsTo('/api/chat').length).toBeGreaterThan(0);
    await shot('chat');
  }, 60_000);

  it('says the mesh is unreachable while its members are down, and reconnects when they are back', async () => {
    await tab('Home');
    for (const who of ['home', 'desk'] as const)
      expect((await atm(who, 'stop', '--timeout', '5')).code).toBe(0);
    await page.getByRole('status').filter({ hasText: 'Mesh unreachable' }).waitFor({ timeout: 30_000 });
    await shot('unreachable');
    for (const who of ['home', 'desk'] as const) {
      const again = await atm(who, ...start[who]);
      expect(again.code, again.stderr).toBe(0);
    }
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor({ timeout: 45_000 });

    // a reopened app is the same member: identity and membership come back from the browser's storage
    await page.reload();
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor({ timeout: 30_000 });
    const members = JSON.parse((await atm('home', 'mesh', 'members', '--json')).stdout) as {
      members: { nodeId: string }[];
    };
    expect(members.members.map((m) => m.nodeId)).toContain(phoneId);
  }, 150_000);

  it('is cut off when home revokes it', async () => {
    const revoked = await atm('home', 'revoke', phoneId, '--reason', 'lost phone');
    expect(revoked.code, revoked.stderr).toBe(0);
    await tab('Home');
    await page.getByRole('status').filter({ hasText: 'This phone was removed from the mesh' }).waitFor({
      timeout: 15_000,
    });
    await shot('revoked');
    await waitFor(
      'desk to lose the phone',
      async () =>
        (await atm('desk', 'call', 'phone/location', '--tool', 'get_location')).code !== 0 ? true : undefined,
      15_000,
    );
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
