/**
 * The phone app over HTTPS and WSS, in real Chromium (Debian's, driven by playwright-core) emulating
 * a Pixel 7, against a real node process configured with a self-signed certificate through
 * `ATMOSPHERE_TLS__*`. The page is opened from the https phone link of `atmosphere invite --phone`;
 * an https page may open only wss:// (mixed content), and this node's WebSocket port serves only
 * WSS, so reaching "Connected" means the phone dialed the mesh over WSS. Chromium runs with
 * `--ignore-certificate-errors` here only: the test's certificate is trusted by nothing. Screenshots
 * go to test-artifacts/phone-tls/.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { chromium, devices } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, START_ARGS, cleanEnv, ensureBuilt, runAtmosphere, tempHome } from './helpers/cli.js';
import { certDir, selfSignedCertificate } from './tls-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
/** DESIGN.md: the flags Debian's chromium needs here; plus trust for the test's self-signed certificate. */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--ignore-certificate-errors',
];
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'phone-tls');

beforeAll(() => ensureBuilt(), 180_000);

describe('a phone joining over HTTPS and WSS, in Chromium', () => {
  if (!existsSync(CHROMIUM)) {
    it('needs Debian chromium at /usr/bin/chromium (apt-get install chromium; .ci/apt-packages lists it)', () => {
      throw new Error(`${CHROMIUM} is missing`);
    });
    return;
  }

  const home = tempHome('atm-phtls-');
  const profile = mkdtempSync(join(tmpdir(), 'atm-phone-tls-chromium-'));
  let certs: { dir: string; cleanup: () => void };
  const env = (): NodeJS.ProcessEnv =>
    cleanEnv({
      ATMOSPHERE_TLS__CERT_FILE: 'tls/cert.pem',
      ATMOSPHERE_TLS__KEY_FILE: 'tls/key.pem',
      ATMOSPHERE_INTEGRATIONS__OLLAMA__ENABLED: 'false',
      ATMOSPHERE_INTEGRATIONS__LLAMAFARM__ENABLED: 'false',
    });
  const atm = (...args: string[]) =>
    runAtmosphere(['--home', home.dir, ...args], { env: env(), timeoutMs: 90_000 });
  let context: BrowserContext | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const sockets: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    certs = certDir();
    const cert = selfSignedCertificate(certs.dir);
    mkdirSync(join(home.dir, 'tls'), { recursive: true });
    copyFileSync(cert.certFile, join(home.dir, 'tls', 'cert.pem'));
    copyFileSync(cert.keyFile, join(home.dir, 'tls', 'key.pem'));
    const started = await atm(...START_ARGS, '--name', 'home', '--relay', '--json');
    expect(started.code, started.stderr).toBe(0);
    expect((await atm('mesh', 'create', 'family')).code).toBe(0);

    context = await chromium.launchPersistentContext(profile, {
      ...devices['Pixel 7'],
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('websocket', (ws) => sockets.push(ws.url()));
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await atm('stop', '--timeout', '5');
    home.cleanup();
    certs?.cleanup();
    rmSync(profile, { recursive: true, force: true });
  });

  it('opens the https phone link in a secure context and reaches "Connected" over wss', async () => {
    const invite = await atm('invite', '--phone', '--json');
    expect(invite.code, invite.stderr).toBe(0);
    const { phoneLinks, token } = JSON.parse(invite.stdout) as { phoneLinks: string[]; token: string };
    const link = phoneLinks[0] ?? '';
    expect(link).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/phone\/#join=atm1\./);

    await page.goto(link);
    expect(new URL(page.url()).protocol).toBe('https:');
    expect(await page.evaluate('window.isSecureContext')).toBe(true);
    expect(await page.evaluate("typeof crypto.subtle?.digest === 'function'")).toBe(true);
    expect(await page.getByRole('textbox', { name: 'Invite' }).inputValue()).toContain(token);
    await page.getByRole('button', { name: 'Join mesh' }).click();
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'connected.png'), fullPage: true });

    // every WebSocket the page opened was wss://, and home counts the phone as a member
    expect(sockets.length).toBeGreaterThan(0);
    expect(sockets.filter((url) => !url.startsWith('wss://'))).toEqual([]);
    const members = JSON.parse((await atm('mesh', 'members', '--json')).stdout) as {
      members: { name: string; role: string }[];
    };
    expect(members.members.find((m) => m.name === 'Android phone')).toMatchObject({ role: 'member' });
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
