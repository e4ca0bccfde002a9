/**
 * Real Chromium for the browser tests (Debian's `chromium`, driven by playwright-core; see DESIGN.md):
 * a persistent context in a throwaway profile, with the page's CSP violations and uncaught errors
 * collected so a test can assert there were none.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** DESIGN.md: the flags Debian's chromium needs here. */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface ChromiumPage {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly cspViolations: string[];
  readonly pageErrors: string[];
}

/** Launches Chromium on `profile` with `options` (viewport, device emulation, extra `args`...). */
export async function launchChromium(
  profile: string,
  options: Parameters<typeof chromium.launchPersistentContext>[1] & { extraArgs?: readonly string[] } = {},
): Promise<ChromiumPage> {
  const { extraArgs = [], ...rest } = options;
  const context = await chromium.launchPersistentContext(profile, {
    ...rest,
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...extraArgs],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
  });
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return { context, page, cspViolations, pageErrors };
}
