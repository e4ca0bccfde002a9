/**
 * The Matter bridge (issue 9): how long commissioning a device takes and the round trip of a device
 * command, against real matter.js devices in a network namespace (Matter needs mDNS, which this
 * machine's plain loopback does not carry). Needs root and iproute2; without them the suite prints
 * why and reports nothing rather than made-up numbers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, ensureBuilt, START_ARGS } from '../../test/helpers/cli.js';
import {
  MatterDevices,
  MatterNetns,
  matterNetnsPrerequisite,
  nsApi,
  nsAtmosphere,
} from '../../test/helpers/matter-netns.js';
import type { BenchRow, BenchSuite } from '../harness.js';
import { percentile, round } from '../harness.js';

const SUITE = 'matter';
const COMMANDS = 200;

export const matterSuite: BenchSuite = {
  name: SUITE,
  async run(): Promise<BenchRow[]> {
    const missing = matterNetnsPrerequisite();
    if (missing !== null) {
      console.error(`matter: not run: ${missing}`);
      return [];
    }
    ensureBuilt();
    const root = mkdtempSync(join(tmpdir(), 'atm-bench-matter-'));
    const home = join(root, 'node');
    const env = cleanEnv({
      ATMOSPHERE_INTEGRATIONS__OLLAMA__ENABLED: 'false',
      ATMOSPHERE_INTEGRATIONS__LLAMAFARM__ENABLED: 'false',
    });
    const ns = MatterNetns.create('bench-matter');
    const devices = new MatterDevices(ns, join(root, 'devices'), 5740);
    const atm = (...args: string[]) =>
      nsAtmosphere(ns, ['--home', home, ...args], { env, timeoutMs: 90_000 });
    try {
      const ready = await devices.ready;
      const init = await atm('init');
      if (init.code !== 0) throw new Error(init.stderr);
      writeFileSync(join(home, 'config.yaml'), 'matter:\n  enabled: true\n  network_interface: lo\n');
      const started = await atm(...START_ARGS);
      if (started.code !== 0) throw new Error(started.stderr);

      const pairs = await nsApi(
        ns,
        home,
        ready.map((d) => ({
          method: 'POST' as const,
          path: '/api/matter/pair',
          body: { code: d.manualPairingCode },
        })),
      );
      const failed = pairs.find((p) => p.status !== 201);
      if (failed) throw new Error(`pairing failed: ${JSON.stringify(failed.body)}`);
      const light = (pairs[0]?.body as { device: { capabilities: { id: string }[] } }).device.capabilities[0]
        ?.id;
      if (!light) throw new Error('the light has no capability');

      const calls = Array.from({ length: COMMANDS }, () => ({
        method: 'POST' as const,
        path: '/api/tools/invoke',
        body: { capability: light, tool: 'toggle' },
      }));
      const replies = await nsApi(ns, home, calls);
      const bad = replies.find((r) => r.status !== 200);
      if (bad) throw new Error(`a command failed: ${JSON.stringify(bad.body)}`);
      const http = replies.map((r) => r.ms);
      const matter = replies.map(
        (r) => (r.body as { invocation: { durationMs: number } }).invocation.durationMs,
      );
      const commissioning = pairs.map((p) => p.ms);
      return [
        {
          suite: SUITE,
          name: 'commissioning one device (discover, PASE, credentials, CASE, read), p50',
          value: round(percentile(commissioning, 50)),
          unit: 'ms',
          samples: commissioning.length,
          note: 'POST /api/matter/pair round trip; four different devices',
        },
        {
          suite: SUITE,
          name: 'commissioning one device, max',
          value: round(Math.max(...commissioning)),
          unit: 'ms',
          samples: commissioning.length,
        },
        {
          suite: SUITE,
          name: 'device command round trip in the node (toggle), p50',
          value: round(percentile(matter, 50)),
          unit: 'ms',
          samples: COMMANDS,
          note: 'invoke → Matter command → device status response, as the gateway measures it',
        },
        {
          suite: SUITE,
          name: 'device command round trip in the node (toggle), p99',
          value: round(percentile(matter, 99)),
          unit: 'ms',
          samples: COMMANDS,
        },
        {
          suite: SUITE,
          name: 'device command through the HTTP API (POST /api/tools/invoke), p50',
          value: round(percentile(http, 50)),
          unit: 'ms',
          samples: COMMANDS,
        },
        {
          suite: SUITE,
          name: 'device command through the HTTP API (POST /api/tools/invoke), p99',
          value: round(percentile(http, 99)),
          unit: 'ms',
          samples: COMMANDS,
        },
      ];
    } finally {
      await atm('stop', '--timeout', '5').catch(() => undefined);
      await devices.quit().catch(() => undefined);
      ns.remove();
      rmSync(root, { recursive: true, force: true });
    }
  },
};
