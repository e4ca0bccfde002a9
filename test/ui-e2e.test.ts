/**
 * The web panel end to end, in real Chromium (Debian's, driven by playwright-core) against real
 * node processes: sign in through the `atmosphere ui` link, scan with live progress, approve a model
 * and deny the camera and see config.yaml change, get an inline validation error, create an invite
 * in the panel that a second node joins with (and see it on the graph), run an intent in the
 * playground and watch it stream, see the cost page and the activity log with a live trigger event.
 * A screenshot of every page is saved to test-artifacts/ui/.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OllamaDouble } from './doubles/ollama-double.js';
import { CHROMIUM, launchChromium } from './helpers/chromium.js';
import {
  REPO_ROOT,
  START_ARGS,
  cleanEnv,
  ensureBuilt,
  runAtmosphere,
  tempHome,
  waitFor,
} from './helpers/cli.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'ui');
const V4L2_FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'scanner', 'hardware', 'v4l2');

/** A `v4l2-ctl` on PATH that describes one C920 webcam from the recorded fixtures. */
function fakeV4l2(dir: string): void {
  const script = [
    '#!/bin/sh',
    'case "$*" in',
    `  "--list-devices") printf 'HD Pro Webcam C920 (usb-0000:00:14.0-2):\\n\\t/dev/video2\\n\\n' ;;`,
    `  "-d /dev/video2 --all") cat '${join(V4L2_FIXTURES, 'all-video2-c920.txt')}' ;;`,
    `  "-d /dev/video2 --list-formats-ext") cat '${join(V4L2_FIXTURES, 'list-formats-ext-video2-c920.txt')}' ;;`,
    '  *) exit 1 ;;',
    'esac',
  ].join('\n');
  writeFileSync(join(dir, 'v4l2-ctl'), `${script}\n`);
  chmodSync(join(dir, 'v4l2-ctl'), 0o755);
}

beforeAll(() => ensureBuilt(), 180_000);

describe('the web panel in Chromium', () => {
  if (!existsSync(CHROMIUM)) {
    it('needs Debian chromium at /usr/bin/chromium (apt-get install chromium; .ci/apt-packages lists it)', () => {
      throw new Error(`${CHROMIUM} is missing`);
    });
    return;
  }

  let ollama: OllamaDouble;
  const homes = { a: tempHome('atm-uia-'), b: tempHome('atm-uib-') };
  const bin = mkdtempSync(join(tmpdir(), 'atm-uibin-'));
  const profile = mkdtempSync(join(tmpdir(), 'atm-chromium-'));
  const ports = { ATMOSPHERE_API__PORT: '0', ATMOSPHERE_MESH__TCP_PORT: '0', ATMOSPHERE_MESH__WS_PORT: '0' };
  const envs = {
    a: () =>
      cleanEnv({
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        ATMOSPHERE_INTEGRATIONS__OLLAMA__URL: ollama.url,
        ATMOSPHERE_INTEGRATIONS__LLAMAFARM__ENABLED: 'false',
      }),
    b: () =>
      cleanEnv({
        ...ports,
        ATMOSPHERE_NODE__NAME: 'node-b',
        ATMOSPHERE_INTEGRATIONS__OLLAMA__ENABLED: 'false',
        ATMOSPHERE_INTEGRATIONS__LLAMAFARM__ENABLED: 'false',
      }),
  };
  const atm = (who: keyof typeof homes, ...args: string[]) =>
    runAtmosphere(['--home', homes[who].dir, ...args], { env: envs[who](), timeoutMs: 90_000 });
  const configA = join(homes.a.dir, 'config.yaml');
  let apiA = '';
  let ownerToken = '';
  let context: BrowserContext;
  let page: Page;
  let cspViolations: string[] = [];
  let pageErrors: string[] = [];

  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  };
  const open = async (title: string): Promise<void> => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: title }).click();
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    fakeV4l2(bin);
    ollama = await OllamaDouble.start({ chunkDelayMs: 250 });
    // the owner's rules before the panel: one model exposed, the camera shared
    writeFileSync(
      configA,
      ['expose:', '  models:', '    ollama: ["qwen3:1.7b"]', '  hardware:', '    camera: true', ''].join(
        '\n',
      ),
    );
    const started = await atm('a', ...START_ARGS, '--name', 'node-a', '--json');
    expect(started.code, started.stderr).toBe(0);
    apiA = (JSON.parse(started.stdout) as { apiUrl: string }).apiUrl;
    ownerToken = readFileSync(join(homes.a.dir, 'run', 'owner.token'), 'utf8').trim();
    expect((await atm('a', 'mesh', 'create', 'home')).code).toBe(0);

    ({ context, page, cspViolations, pageErrors } = await launchChromium(profile, {
      viewport: { width: 1280, height: 900 },
    }));
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    for (const who of ['a', 'b'] as const) {
      await atm(who, 'stop', '--timeout', '5');
      homes[who].cleanup();
    }
    await ollama?.close();
    rmSync(bin, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  });

  it('refuses the panel without a session and opens it through the one-time `atmosphere ui` link', async () => {
    const anonymous = await fetch(`${apiA}/ui/`, { redirect: 'manual' });
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get('location')).toBe('/ui/login');

    const ui = await atm('a', 'ui', '--json');
    expect(ui.code, ui.stderr).toBe(0);
    const { url } = JSON.parse(ui.stdout) as { url: string };
    await page.goto(url);
    await page.getByRole('heading', { level: 1, name: 'Discover & approve' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/ui/');
    const cookie = (await context.cookies(apiA)).find((c) => c.name === 'atmosphere_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    // the link was spent: a second use is refused
    const again = await fetch(url, { redirect: 'manual' });
    expect(again.status).toBe(401);
  });

  it('scans with live progress, then approves a model and denies the camera into config.yaml', async () => {
    await page.getByRole('button', { name: /^Scan (now|again)$/ }).click();
    await page.getByRole('list', { name: 'Scan progress' }).locator('li').first().waitFor();
    await page.getByText(/^Ollama models \(/).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Scan again' }).waitFor({ timeout: 60_000 });

    const llama = page.getByRole('checkbox', { name: 'llama3.2:3b' });
    const camera = page.getByRole('checkbox', { name: /^Camera: HD Pro Webcam C920/ });
    expect(await llama.isChecked()).toBe(false);
    expect(await page.getByRole('checkbox', { name: 'qwen3:1.7b' }).isChecked()).toBe(true);
    expect(await camera.isChecked()).toBe(true);
    await shot('discover');

    await llama.check();
    await camera.uncheck();
    await page.getByText('2 changes not saved').waitFor();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /^Saved: exposing/ })
      .waitFor();

    const config = parse(readFileSync(configA, 'utf8')) as {
      expose: { models: { ollama: string[] }; hardware: { camera: boolean } };
    };
    expect(config.expose.models.ollama).toEqual(expect.arrayContaining(['qwen3:1.7b', 'llama3.2:3b']));
    expect(config.expose.hardware.camera).toBe(false);
    // and the running node applied it
    const exposure = (await (
      await fetch(`${apiA}/api/exposure`, { headers: { authorization: `Bearer ${ownerToken}` } })
    ).json()) as { capabilities: { id: string; exposed: boolean }[] };
    expect(exposure.capabilities.find((c) => c.id === 'ollama/llama3.2:3b')?.exposed).toBe(true);
    await shot('discover-saved');
  }, 120_000);

  it('shows an invalid setting inline and leaves config.yaml as it was', async () => {
    await open('Owner settings');
    await shot('settings');
    const before = readFileSync(configA, 'utf8');
    const field = page.getByRole('spinbutton', { name: 'Max concurrent requests' });
    await field.fill('0');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('.field-error').filter({ hasText: 'limits.max_concurrent' }).waitFor();
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(readFileSync(configA, 'utf8')).toBe(before);
    await shot('settings-invalid');

    await field.fill('3');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved limits' }).waitFor();
    expect(
      (parse(readFileSync(configA, 'utf8')) as { limits: { max_concurrent: number } }).limits.max_concurrent,
    ).toBe(3);
  });

  it('creates an invite with a QR code that a second node joins with, and shows it on the graph', async () => {
    await open('Mesh');
    await page.getByRole('button', { name: 'Create invite' }).click();
    await page.getByRole('img', { name: /QR code of the invite to home/ }).waitFor();
    const token = await page.getByTestId('invite-token').inputValue();
    expect(token).toMatch(/^atm1\./);
    expect(await page.getByRole('textbox', { name: 'Invite link' }).inputValue()).toBe(
      `atmosphere://join/${token}`,
    );
    await shot('mesh-invite');

    const joined = await atm('b', 'join', token, '--yes', '--json', '--wait-seconds', '20');
    expect(joined.code, joined.stderr).toBe(0);
    const graph = page.getByRole('img', { name: /Mesh topology/ });
    await graph.locator('g.node.up', { hasText: 'node-b' }).waitFor({ timeout: 30_000 });
    await graph.locator('g.link.up text').first().waitFor();
    expect(await graph.locator('g.link.up text').first().textContent()).toMatch(/^(direct|lan|relayed)/);
    await page
      .getByRole('button', { name: /^Revoke / })
      .first()
      .waitFor();
    await shot('mesh');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot('mesh-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 120_000);

  it('explains the route of an intent and streams the answer as it is written', async () => {
    await open('Routing playground');
    await page.getByRole('textbox', { name: 'Intent' }).fill('write a short poem about the sea');
    await page.getByRole('button', { name: 'Show the route' }).click();
    await page.getByRole('heading', { name: 'Ranked candidates' }).waitFor();
    expect(await page.locator('ol.candidates > li').count()).toBeGreaterThan(0);
    expect(await page.locator('ol.candidates').textContent()).toContain('semantic');

    await page.getByRole('button', { name: 'Run it' }).click();
    const answer = page.locator('pre.answer[aria-live]');
    // part of the answer is on screen while the stream is still running
    await waitFor('a partial answer', async () => {
      const text = (await answer.textContent()) ?? '';
      const state = await answer.getAttribute('data-state');
      return text.length > 0 && state === 'running' ? text : undefined;
    });
    await page.locator('pre.answer[data-state="done"]').waitFor({ timeout: 30_000 });
    expect(await answer.textContent()).toBe('Hello from the double.');
    expect(await page.getByText(/^Served by ollama\//).count()).toBe(1);
    await shot('routing');
  });

  it('shows cost from the node, or says plainly that this node has none', async () => {
    const hasCost = (await fetch(`${apiA}/api/cost`, { headers: { authorization: `Bearer ${ownerToken}` } }))
      .ok;
    await open('Cost');
    if (hasCost) {
      await page.getByRole('heading', { name: /^node-a now: cost \d/ }).waitFor();
      await page.getByRole('heading', { name: 'Cloud spend' }).waitFor();
      expect(await page.getByText('Cost data not available from this node').count()).toBe(0);
    } else {
      await page.getByText('Cost data not available from this node.').waitFor();
    }
    await shot('cost');
  });

  it('shows the audit log and trigger events as they happen, without a reload', async () => {
    await open('Activity');
    await page.locator('table.audit tbody tr').first().waitFor();
    expect(await page.locator('table.audit').textContent()).toContain('ui.session');
    const auditFilters = page.getByRole('search', { name: 'Filter the audit log' });
    await auditFilters
      .getByRole('status')
      .filter({ hasText: /^live$/ })
      .waitFor();
    // a new audit entry (the node issuing a sign-in link) is pushed to the open page, no reload
    const loginTokens = page.locator('table.audit tbody tr', { hasText: 'ui.login-token' });
    const before = await loginTokens.count();
    const issued = await fetch(`${apiA}/api/ui/login-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ownerToken}` },
    });
    expect(issued.status).toBe(201);
    await loginTokens.nth(before).waitFor();
    expect(await loginTokens.count()).toBe(before + 1);
    await page
      .getByRole('search', { name: 'Filter trigger events' })
      .getByRole('status')
      .filter({ hasText: /^live$/ })
      .waitFor();
    const fired = await fetch(`${apiA}/api/triggers/sensor/door/opened`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ownerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ payload: { door: 'front' }, priority: 'high' }),
    });
    expect(fired.status).toBe(202);
    await page.locator('ul.events li', { hasText: 'sensor/door/opened' }).waitFor();
    await shot('activity');
  });

  it('ran without a Content Security Policy violation or a page error', () => {
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
