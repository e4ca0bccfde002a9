/**
 * The price of a mesh hop: `/v1/chat/completions` on node B served by node A's Ollama (a double
 * speaking Ollama's API, answering at once) against calling that Ollama directly. Two real node
 * processes on loopback. Targets (issue 4): ≤ 3 ms added at p50; ≥ 90% of direct throughput at 50
 * concurrent streams. A serves up to 50 mesh requests at once: with the owner's default
 * `limits.max_concurrent` (5, queue 20) the throughput row measured that policy (and 503s beyond
 * the queue), not the hop.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OllamaDouble } from '../../test/doubles/ollama-double.js';
import { cleanEnv, runAtmosphere, tempHome } from '../../test/helpers/cli.js';
import type { BenchRow, BenchSuite } from '../harness.js';
import { percentile, round } from '../harness.js';

const SUITE = 'inference';
const START = ['start', '--port', '0', '--p2p-port', '0', '--ws-port', '0', '--no-mdns'];
const ROUNDS = 300;
const CONCURRENT = 50;
const STREAMS_PER_WORKER = 10;
/** A's `limits.max_concurrent`: every concurrent stream of the throughput run is served at once. */
const SERVING_SLOTS = String(CONCURRENT);

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function drain(res: Response): Promise<void> {
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

export const inferenceSuite: BenchSuite = {
  name: SUITE,
  async run(): Promise<BenchRow[]> {
    const ollama = await OllamaDouble.start({ chunkDelayMs: 0, reply: { chunks: ['Hello', ' there', '.'] } });
    const homes = { a: tempHome('atm-bench-a-'), b: tempHome('atm-bench-b-') };
    const env = {
      a: cleanEnv({
        ATMOSPHERE_INTEGRATIONS__OLLAMA__URL: ollama.url,
        ATMOSPHERE_INTEGRATIONS__LLAMAFARM__ENABLED: 'false',
        ATMOSPHERE_LIMITS__MAX_CONCURRENT: SERVING_SLOTS,
      }),
      b: cleanEnv({
        ATMOSPHERE_INTEGRATIONS__OLLAMA__ENABLED: 'false',
        ATMOSPHERE_INTEGRATIONS__LLAMAFARM__ENABLED: 'false',
        ATMOSPHERE_LOG__LEVEL: 'warn',
      }),
    };
    const atm = (who: 'a' | 'b', ...args: string[]) =>
      runAtmosphere(['--home', homes[who].dir, ...args], { env: env[who] });
    try {
      for (const who of ['a', 'b'] as const) {
        const res = await atm(who, ...START, '--log-level', 'warn');
        if (res.code !== 0) throw new Error(`node ${who} did not start: ${res.stderr}`);
      }
      await atm('a', 'mesh', 'create', 'bench');
      const invite = JSON.parse((await atm('a', 'invite', '--json')).stdout) as { token: string };
      const joined = await atm('b', 'join', invite.token, '--yes');
      if (joined.code !== 0) throw new Error(`join failed: ${joined.stderr}`);
      const state = JSON.parse(readFileSync(join(homes.b.dir, 'run', 'node.json'), 'utf8')) as {
        apiUrl: string;
      };
      const token = readFileSync(join(homes.b.dir, 'run', 'owner.token'), 'utf8').trim();
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const messages = [{ role: 'user', content: 'hi' }];
      // wait until B knows A's model
      for (let i = 0; i < 200; i++) {
        const models = (await (await fetch(`${state.apiUrl}/v1/models`, { headers })).json()) as {
          data: { id: string }[];
        };
        if (models.data.some((m) => m.id === 'llama3.2:3b')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const direct = (stream: boolean) => () =>
        fetch(`${ollama.url}/api/chat`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'llama3.2:3b', messages, stream }),
        }).then(drain);
      const viaMesh = (stream: boolean) => () =>
        fetch(`${state.apiUrl}/v1/chat/completions`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ model: 'llama3.2:3b', messages, stream }),
        }).then(drain);

      const stateA = JSON.parse(readFileSync(join(homes.a.dir, 'run', 'node.json'), 'utf8')) as {
        apiUrl: string;
      };
      const tokenA = readFileSync(join(homes.a.dir, 'run', 'owner.token'), 'utf8').trim();
      const viaLocal = (stream: boolean) => () =>
        fetch(`${stateA.apiUrl}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokenA}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'llama3.2:3b', messages, stream }),
        }).then(drain);
      for (let i = 0; i < 20; i++) {
        await direct(false)();
        await viaMesh(false)();
      }
      const directMs: number[] = [];
      const meshMs: number[] = [];
      const localMs: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        directMs.push(await timeIt(direct(false)));
        meshMs.push(await timeIt(viaMesh(false)));
        localMs.push(await timeIt(viaLocal(false)));
      }
      const throughput = async (call: () => Promise<void>): Promise<number> => {
        const t0 = performance.now();
        await Promise.all(
          Array.from({ length: CONCURRENT }, async () => {
            for (let i = 0; i < STREAMS_PER_WORKER; i++) await call();
          }),
        );
        return (CONCURRENT * STREAMS_PER_WORKER) / ((performance.now() - t0) / 1000);
      };
      const directRate = await throughput(direct(true));
      const meshRate = await throughput(viaMesh(true));
      const p50Direct = percentile(directMs, 50);
      const p50Mesh = percentile(meshMs, 50);
      return [
        {
          suite: SUITE,
          name: 'chat direct to Ollama (p50)',
          value: round(p50Direct),
          unit: 'ms',
          samples: ROUNDS,
        },
        {
          suite: SUITE,
          name: 'chat via /v1 on the serving node (p50)',
          value: round(percentile(localMs, 50)),
          unit: 'ms',
          samples: ROUNDS,
        },
        {
          suite: SUITE,
          name: 'chat via /v1 + one mesh hop (p50)',
          value: round(p50Mesh),
          unit: 'ms',
          samples: ROUNDS,
        },
        {
          suite: SUITE,
          name: 'added by the mesh hop (p50)',
          value: round(p50Mesh - p50Direct),
          unit: 'ms',
          target: { op: '<=', value: 3 },
        },
        {
          suite: SUITE,
          name: 'chat via /v1 + one mesh hop (p99)',
          value: round(percentile(meshMs, 99)),
          unit: 'ms',
          samples: ROUNDS,
        },
        {
          suite: SUITE,
          name: `direct streams/s at ${CONCURRENT} concurrent`,
          value: round(directRate, 1),
          unit: 'streams/s',
        },
        {
          suite: SUITE,
          name: `mesh-hop streams/s at ${CONCURRENT} concurrent`,
          value: round(meshRate, 1),
          unit: 'streams/s',
        },
        {
          suite: SUITE,
          name: 'mesh-hop throughput vs direct',
          value: round((meshRate / directRate) * 100, 1),
          unit: '%',
          target: { op: '>=', value: 90 },
        },
      ];
    } finally {
      await atm('a', 'stop').catch(() => undefined);
      await atm('b', 'stop').catch(() => undefined);
      homes.a.cleanup();
      homes.b.cleanup();
      await ollama.close();
    }
  },
};
