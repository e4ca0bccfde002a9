/**
 * `atmosphere approve` end to end with the built CLI: the flags (`--recommended --yes`, `--expose`,
 * `--deny`), `--show --json`, the refusal without a terminal, and the checklist driven in a real
 * pseudo-terminal (python3's `pty` module: keys are typed as bytes, the screen is read back, and
 * `stty -a` afterwards proves the terminal left raw mode).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { ScanReport } from '../src/core/index.js';
import { ManualClock, silentLogger } from '../src/core/index.js';
import { candidatesFor, recommendationsFor } from '../src/scanner/index.js';
import { hardware, model } from '../src/scanner/test-builders.js';
import { openSqliteStore } from '../src/store/index.js';
import { OLLAMA_DOUBLE_MODELS, OllamaDouble } from './doubles/ollama-double.js';
import { CLI, START_ARGS, cleanEnv, ensureBuilt, runAtmosphere, tempHome } from './helpers/cli.js';

const GIB = 1024 ** 3;

/** Spawns a command in a pseudo-terminal, types keys when the screen shows a text, prints JSON. */
const PTY_DRIVER = String.raw`
import fcntl, json, os, pty, select, struct, sys, termios, time

spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', spec['rows'], spec['cols'], 0, 0))
    os.execvpe(spec['argv'][0], spec['argv'], dict(os.environ, TERM='xterm-256color'))

out = b''
def pump(timeout):
    global out
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return True
    try:
        data = os.read(fd, 65536)
    except OSError:
        return False
    if not data:
        return False
    out += data
    return True

failed = None
for step in spec['steps']:
    start = len(out)
    deadline = time.time() + 15
    wanted = step['wait'].encode()
    while wanted not in out[start:] if step.get('fresh') else wanted not in out:
        if time.time() > deadline or not pump(0.05):
            failed = 'the screen never showed %r' % step['wait']
            break
    if failed:
        break
    for key in step['send']:
        os.write(fd, key.encode())
        until = time.time() + 0.06
        while time.time() < until and pump(0.02):
            pass

deadline = time.time() + 15
while time.time() < deadline and pump(0.05):
    pass
status = None
for _ in range(200):
    done, code = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(code)
        break
    time.sleep(0.05)
if status is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
print(json.dumps({'output': out.decode('utf-8', 'replace'), 'status': status, 'failed': failed}))
`;

/** The parts of config.yaml approve writes (and one it must leave alone). */
interface WrittenConfig {
  readonly integrations: { readonly ollama: { readonly url: string } };
  readonly expose: {
    readonly models: Readonly<Record<string, readonly string[]>>;
    readonly hardware: Readonly<Record<string, unknown>>;
    readonly capabilities: { readonly allow: readonly string[]; readonly deny: readonly string[] };
  };
  readonly limits?: Readonly<Record<string, unknown>>;
}

interface PtyStep {
  /** Type `send` once the screen shows this text (`fresh`: shown after the previous step). */
  readonly wait: string;
  readonly send: readonly string[];
  readonly fresh?: boolean;
}

interface PtyResult {
  readonly output: string;
  readonly status: number | null;
  readonly failed: string | null;
}

const KEY = {
  up: '\u001b[A',
  down: '\u001b[B',
  right: '\u001b[C',
  left: '\u001b[D',
  enter: '\r',
  ctrlC: '\u0003',
};

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

/** The last screen drawn before `marker` (the text between the last two home-cursor moves). */
function lastScreen(output: string): string {
  const drawn = output.split('\u001b[H');
  return stripAnsi(drawn.at(-1) ?? '');
}

/** A scan of a GPU box with two cameras and a microphone, stored as if `atmosphere scan` ran there. */
function storeCraftedScan(homeDir: string): void {
  const hw = hardware({ gpuVramBytes: 24 * GIB, ramBytes: 64 * GIB });
  hw.cameras.push(
    {
      id: '/dev/video0',
      name: 'Logitech C920',
      driver: null,
      bus: null,
      formats: [],
      maxWidth: null,
      maxHeight: null,
      source: 'sysfs',
    },
    {
      id: '/dev/video2',
      name: 'Integrated Camera',
      driver: null,
      bus: null,
      formats: [],
      maxWidth: null,
      maxHeight: null,
      source: 'sysfs',
    },
  );
  hw.microphones.push({ id: 'yeti', name: 'Blue Yeti', kind: 'microphone', source: 'alsa', isDefault: true });
  const models = [
    model({ id: 'llama3.2:3b' }),
    model({ id: 'qwen3:1.7b', family: 'qwen3' }),
    model({ id: 'llama3.1:405b', sizeBytes: 230 * GIB }),
    model({ source: 'llamafarm', id: 'default/public-faq', kind: 'rag', sizeBytes: null }),
    model({ source: 'huggingface', id: 'openai/whisper-tiny', kind: 'speech-to-text', location: '/hf' }),
  ];
  const candidates = candidatesFor({ hardware: hw, models, services: [], tests: [] });
  const report: ScanReport = {
    version: 1,
    scannedAtMs: Date.now(),
    durationMs: 100,
    platform: 'linux-x64',
    hostname: 'gpu-box',
    withTests: false,
    hardware: hw,
    models,
    services: [],
    tests: [],
    candidates,
    recommended: recommendationsFor(candidates),
    probes: [],
  };
  mkdirSync(homeDir, { recursive: true });
  const store = openSqliteStore(
    { logger: silentLogger(), clock: new ManualClock(Date.now()) },
    { path: join(homeDir, 'atmosphere.db') },
  );
  try {
    store.kv.set('scan.latest', report);
  } finally {
    store.close();
  }
}

describe('atmosphere approve', () => {
  const home = tempHome('atm-approve-');
  const atmHome = join(home.dir, 'atm');
  const configPath = join(atmHome, 'config.yaml');
  const driver = join(home.dir, 'pty-driver.py');
  let double: OllamaDouble;
  let env: NodeJS.ProcessEnv;
  let baseConfig: string;

  beforeAll(async () => {
    ensureBuilt();
    double = await OllamaDouble.start({
      models: [
        ...OLLAMA_DOUBLE_MODELS,
        { name: 'llama3.1:405b', family: 'llama', parameterSize: '405B', sizeBytes: 230 * GIB },
      ],
    });
    const repo = join(home.dir, 'hf', 'hub', 'models--openai--whisper-tiny');
    mkdirSync(join(repo, 'blobs'), { recursive: true });
    mkdirSync(join(repo, 'snapshots', 'abc123'), { recursive: true });
    writeFileSync(join(repo, 'blobs', 'b1'), Buffer.alloc(1000));
    writeFileSync(
      join(repo, 'snapshots', 'abc123', 'config.json'),
      JSON.stringify({ architectures: ['WhisperForConditionalGeneration'], model_type: 'whisper' }),
    );
    mkdirSync(atmHome, { recursive: true });
    baseConfig = [
      '# the owner wrote this',
      'integrations:',
      '  ollama:',
      `    url: ${double.url}`,
      '  llamafarm:',
      '    enabled: false',
      'scan:',
      `  model_paths: [${join(home.dir, 'no-models')}]`,
      '',
    ].join('\n');
    writeFileSync(configPath, baseConfig);
    writeFileSync(driver, PTY_DRIVER);
    env = cleanEnv({ HF_HOME: join(home.dir, 'hf') });
  });

  afterAll(async () => {
    await double.close();
    home.cleanup();
  });

  const atm = (...args: string[]) => runAtmosphere(['--home', atmHome, ...args], { env, timeoutMs: 30_000 });
  const readConfig = (path = configPath) => parseYaml(readFileSync(path, 'utf8')) as WrittenConfig;

  it('refuses without a terminal within seconds: it scans, prints the checklist and names the flags to use', async () => {
    const started = Date.now();
    const res = await atm('approve');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('🔍 Scanning system capabilities');
    expect(res.stdout).toMatch(/Ollama models \(3 of 4 on\)\n {2}\[x\] llama3\.2:3b/);
    expect(res.stdout).toMatch(/\[ \] llama3\.1:405b +too large/);
    expect(res.stdout).toMatch(/Microphone.*: ◂ off ▸/);
    expect(res.stderr).toContain(
      'approve needs a terminal to ask you, and none is attached: nothing written',
    );
    for (const flag of ['--recommended', '--expose PATTERN', '--deny PATTERN', '--yes'])
      expect(res.stderr).toContain(flag);
    expect(readFileSync(configPath, 'utf8')).toBe(baseConfig);
  });

  it('refuses flags without --yes when there is no terminal to confirm in, after showing the summary', async () => {
    const res = await atm('approve', '--recommended');
    expect(res.code).toBe(2);
    expect(res.stdout).toContain('Will keep private (');
    expect(res.stdout).toContain('  llama3.1:405b (was exposed)');
    expect(res.stderr).toContain('add --yes to write');
    expect(readFileSync(configPath, 'utf8')).toBe(baseConfig);
  });

  it('writes the scanner recommendations with --recommended --yes, keeping the rest of the file valid', async () => {
    const res = await atm('approve', '--recommended', '--yes');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`Saved expose: to ${configPath}.`);
    expect(res.stdout).toMatch(/Kept private \(\d+\): llama3\.1:405b, .*openai\/whisper-tiny.*Camera/);
    expect(res.stdout).toContain('A running node re-announces within seconds.');
    const text = readFileSync(configPath, 'utf8');
    expect(text.startsWith('# the owner wrote this\nintegrations:')).toBe(true);
    const written = readConfig();
    expect(written.integrations.ollama.url).toBe(double.url);
    expect(written.expose.models).toEqual({ ollama: ['*'], llamafarm: ['*'], huggingface: [], cloud: [] });
    expect(written.expose.capabilities).toEqual({ allow: [], deny: ['ollama/llama3.1:405b'] });
    // the GPU switch follows this machine's GPU (if any); the private kinds are off whatever it has
    expect(written.expose.hardware).toMatchObject({
      camera: false,
      microphone: false,
      speaker: false,
      location: false,
      screen: false,
    });
    expect(written.limits).toBeUndefined();
    const validate = await atm('config', 'validate');
    expect(validate.code).toBe(0);
  });

  it('translates --expose and --deny globs into config, and --show --json reports the rule behind each capability', async () => {
    const res = await atm(
      'approve',
      '--deny',
      'ollama/qwen3:*',
      '--expose',
      'huggingface/openai/*',
      '--expose',
      'microphone/*',
      '--expose',
      'service/comfyui',
      '--max-vram-percent',
      '60',
      '--yes',
      '--json',
    );
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('note: --expose service/comfyui matches nothing in the last scan');
    expect(JSON.parse(res.stdout)).toMatchObject({
      written: true,
      configPath,
      limits: { max_vram_percent: 60 },
    });
    const written = readConfig();
    expect(written.expose.models.huggingface).toEqual(['openai/*']);
    expect(written.expose.capabilities).toEqual({
      allow: ['service/comfyui'],
      deny: ['ollama/llama3.1:405b', 'ollama/qwen3:*'],
    });
    expect(written.expose.hardware.microphone).toBe(true);
    expect(written.limits).toEqual({ max_vram_percent: 60 });
    expect((await atm('config', 'validate')).code).toBe(0);

    const show = await atm('approve', '--show', '--json');
    expect(show.code).toBe(0);
    const report = JSON.parse(show.stdout) as {
      scan: { hostname: string } | null;
      candidates: { id: string; exposed: boolean; rule: string; explicit: boolean }[];
      hardware: { key: string; setting: unknown; exposed: boolean }[];
      limits: { max_vram_percent: number };
      access: { mesh_ids: string[] };
    };
    expect(report.scan).not.toBeNull();
    const decided = Object.fromEntries(report.candidates.map((c) => [c.id, [c.exposed, c.rule]]));
    expect(decided).toMatchObject({
      'ollama/llama3.2:3b': [true, 'expose.models.ollama'],
      'ollama/qwen3:1.7b': [false, 'expose.capabilities.deny'],
      'ollama/llama3.1:405b': [false, 'expose.capabilities.deny'],
      'huggingface/openai/whisper-tiny': [true, 'expose.models.huggingface'],
    });
    expect(report.hardware.find((h) => h.key === 'microphone')).toMatchObject({
      setting: true,
      exposed: true,
    });
    expect(report.limits.max_vram_percent).toBe(60);
    expect(report.access.mesh_ids).toEqual(['*']);

    const human = await atm('approve', '--show');
    expect(human.stdout).toMatch(/private +ollama\/qwen3:1\.7b +expose\.capabilities\.deny\n/);
    expect(human.stdout).toContain('microphone: on');
  });

  it('shows the rules, limits and access with --show --json when no scan is stored', async () => {
    const empty = join(home.dir, 'empty');
    const res = await runAtmosphere(['--home', empty, 'approve', '--show', '--json'], { env });
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout);
    expect(report.scan).toBeNull();
    expect(report.candidates).toEqual([]);
    expect(report.expose.models.ollama).toEqual(['*']);
    expect(report.expose.hardware.camera).toBe(false);
    expect(report.limits.max_vram_percent).toBe(80);
    expect(report.access.require_auth).toBe(true);
    expect(report.matter).toMatchObject({ available: false, devices: [] });
    expect(report.matter.reason).toMatch(/the node is not running/);
  });

  describe('in a terminal', () => {
    const ttyHome = join(home.dir, 'tty');
    const ttyConfig = join(ttyHome, 'config.yaml');

    beforeAll(() => {
      storeCraftedScan(ttyHome);
      writeFileSync(ttyConfig, '# my node\nintegrations:\n  llamafarm:\n    enabled: false\n');
    });

    /** Runs `atmosphere approve` in a pty, then `stty -a` in the same terminal. */
    function approveInPty(
      steps: readonly PtyStep[],
      args: readonly string[] = [],
    ): Promise<PtyResult & { stty: string }> {
      const extra = args.map((a) => ` '${a}'`).join('');
      const script = `"${process.execPath}" "${CLI}" --home "${ttyHome}" approve${extra}; code=$?; echo; echo STTY:; stty -a; exit $code`;
      const spec = { argv: ['/bin/sh', '-c', script], rows: 40, cols: 120, steps };
      return new Promise((resolve, reject) => {
        execFile(
          'python3',
          [driver, JSON.stringify(spec)],
          { env, timeout: 30_000 },
          (err, stdout, stderr) => {
            if (err) {
              reject(new Error(`the pty driver (python3) failed: ${err.message}\n${stderr}`));
              return;
            }
            const result = JSON.parse(stdout) as PtyResult;
            const at = result.output.lastIndexOf('STTY:');
            resolve({ ...result, stty: at < 0 ? '' : result.output.slice(at) });
          },
        );
      });
    }

    it('moves, toggles, cycles modes, reviews and writes what the owner chose', async () => {
      const result = await approveInPty([
        {
          wait: 'enter review',
          send: ['j', 'j', 'j', 'j', KEY.left, 'j', 'j', ' ', 'j', 'j', 'j', 'j', 'j', 'm', KEY.enter],
        },
        { wait: 'y write config.yaml', send: ['y'] },
      ]);
      expect(result.failed).toBeNull();
      expect(result.status).toBe(0);
      const screens = result.output.split('\u001b[H').map(stripAnsi);
      const first = screens[1] ?? '';
      expect(first).toContain('Atmosphere · approve what gpu-box offers the mesh');
      expect(first).toMatch(/> \[x\] GPU: NVIDIA GeForce RTX 4090 \(24\.0 GB\)/);
      // the GPU purposes as the seed's mock proposes them: inference and training, not image generation
      expect(first).toContain('    [x] expose for inference');
      expect(first).toContain('    [x] expose for training');
      expect(first).toContain('    [ ] expose for image generation');
      expect(first).toContain('Mesh work may use up to: ◂ 80% of VRAM ▸');
      expect(first).toMatch(/\[ \] llama3\.1:405b +too large/);
      expect(first).toContain('[ ] Camera: Logitech C920; Integrated Camera');
      expect(first).toContain('Microphone: Blue Yeti: ◂ off ▸');

      const review = screens.find((s) => s.includes('y write config.yaml')) ?? '';
      expect(review).toContain('Review: nothing is written until you press y.');
      expect(review).toContain('  qwen3:1.7b (was exposed)');
      expect(review).toContain('  Microphone: Blue Yeti (transcription only) (was private)');
      expect(review).toContain('  llama3.1:405b (was exposed)');
      expect(review).toContain('GPU memory mesh work may use: 70% (was 80%)');
      expect(review).toContain(
        'for inference and training (was for inference, training and image generation), mesh work up to 70%',
      );

      const after = stripAnsi(result.output.slice(result.output.lastIndexOf('\u001b[?1049l')));
      expect(result.output.lastIndexOf('\u001b[?25h')).toBeGreaterThan(result.output.lastIndexOf('\u001b[H'));
      expect(after).toContain(`Saved expose: and limits: to ${ttyConfig}.`);
      expect(after).toContain('A running node re-announces within seconds.');
      expect(result.stty).toMatch(/(^|\s)icanon(\s|$)/m);
      expect(result.stty).toMatch(/(^|\s)echo(\s|$)/m);

      const written = parseYaml(readFileSync(ttyConfig, 'utf8')) as WrittenConfig;
      expect(readFileSync(ttyConfig, 'utf8').startsWith('# my node\n')).toBe(true);
      expect(written.expose.hardware).toMatchObject({
        gpu: { inference: true, training: true, image_generation: false },
        camera: false,
        microphone: 'transcription_only',
      });
      expect(written.expose.capabilities.deny).toEqual(['ollama/qwen3:1.7b', 'ollama/llama3.1:405b']);
      expect(written.limits).toEqual({ max_vram_percent: 70 });
    });

    it('shows what is in effect when run again, and q leaves without writing and restores the terminal', async () => {
      const before = readFileSync(ttyConfig, 'utf8');
      const result = await approveInPty([
        { wait: 'enter review', send: [KEY.down, KEY.down, KEY.down, KEY.down, KEY.down, 'q'] },
      ]);
      expect(result.failed).toBeNull();
      expect(result.status).toBe(1);
      const first = result.output.split('\u001b[H').map(stripAnsi)[1] ?? '';
      expect(first).toContain('Mesh work may use up to: ◂ 70% of VRAM ▸');
      expect(first).toContain('[ ] qwen3:1.7b');
      expect(first).toContain('[x] llama3.2:3b');
      expect(first).toContain('Microphone: Blue Yeti: ◂ transcription only ▸');
      expect(first).toContain('    [x] expose for training');
      expect(first).toContain('    [ ] expose for image generation');
      expect(lastScreen(result.output)).toContain('> [x] llama3.2:3b');
      expect(stripAnsi(result.output)).toContain('Nothing written: config.yaml is unchanged.');
      expect(result.stty).toMatch(/(^|\s)icanon(\s|$)/m);
      expect(readFileSync(ttyConfig, 'utf8')).toBe(before);
    });

    it('leaves the review without writing on Ctrl-C', async () => {
      const before = readFileSync(ttyConfig, 'utf8');
      const result = await approveInPty([
        { wait: 'enter review', send: ['a', KEY.enter] },
        { wait: 'y write config.yaml', send: [KEY.ctrlC] },
      ]);
      expect(result.failed).toBeNull();
      expect(result.status).toBe(1);
      expect(stripAnsi(result.output)).toContain('Nothing written');
      expect(result.stty).toMatch(/(^|\s)echo(\s|$)/m);
      expect(readFileSync(ttyConfig, 'utf8')).toBe(before);
    });

    it('asks before writing what flags say when a terminal is there, and writes on y', async () => {
      const result = await approveInPty(
        [{ wait: '[y/N]', send: ['y', KEY.enter] }],
        ['--expose', 'location'],
      );
      expect(result.failed).toBeNull();
      expect(result.status).toBe(0);
      const text = stripAnsi(result.output);
      expect(text).toContain('  Location (was private)');
      expect(text).toContain(`Write this to ${ttyConfig}? [y/N]`);
      expect(text).toContain(`Saved expose: to ${ttyConfig}.`);
      const written = parseYaml(readFileSync(ttyConfig, 'utf8')) as WrittenConfig;
      expect(written.expose.hardware).toMatchObject({ location: true, microphone: 'transcription_only' });
      expect(written.limits).toEqual({ max_vram_percent: 70 });
    });

    it('ticks the GPU purposes one by one, writes them as a mapping and --show prints them', async () => {
      const result = await approveInPty([
        { wait: 'enter review', send: ['j', 'j', ' ', 'j', ' ', KEY.enter] },
        { wait: 'y write config.yaml', send: ['y'] },
      ]);
      expect(result.failed).toBeNull();
      expect(result.status).toBe(0);
      const review =
        result.output
          .split('\u001b[H')
          .map(stripAnsi)
          .find((s) => s.includes('y write config.yaml')) ?? '';
      expect(review).toContain('for inference and image generation (was for inference and training)');
      const written = parseYaml(readFileSync(ttyConfig, 'utf8')) as WrittenConfig;
      expect(written.expose.hardware.gpu).toEqual({
        inference: true,
        training: false,
        image_generation: true,
      });
      const show = await runAtmosphere(['--home', ttyHome, 'approve', '--show'], { env });
      expect(show.code).toBe(0);
      expect(show.stdout).toContain(
        'gpu: on for inference and image generation (mesh work up to 70% of VRAM)',
      );
    });
  });
});

describe('atmosphere approve with a running node whose Matter bridge is off', () => {
  const home = tempHome('atm-approve-node-');
  const configPath = join(home.dir, 'config.yaml');
  const env = cleanEnv();
  const atm = (...args: string[]) => runAtmosphere(['--home', home.dir, ...args], { env, timeoutMs: 30_000 });

  beforeAll(async () => {
    ensureBuilt();
    storeCraftedScan(home.dir);
    writeFileSync(
      configPath,
      'integrations:\n  ollama:\n    enabled: false\n  llamafarm:\n    enabled: false\n',
    );
    const started = await atm(...START_ARGS, '--json');
    expect(started.code, started.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await atm('stop', '--timeout', '5');
    home.cleanup();
  });

  it('has no Matter group, --show says why in one line, and matter/* flags are still written', async () => {
    const checklist = await atm('approve');
    expect(checklist.code).toBe(2);
    expect(checklist.stdout).toContain('Devices, private by default');
    expect(checklist.stdout).not.toContain('Matter');

    const show = await atm('approve', '--show');
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout.split('\n').filter((l) => l.includes('Matter'))).toEqual([
      'Matter devices: not listed, Matter is off on this node (matter.enabled: set it to true in config.yaml and restart the node)',
    ]);

    const res = await atm('approve', '--expose', 'matter/*', '--deny', 'matter/garage-*', '--yes', '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('note: --expose matter/* matches nothing in the last scan');
    expect(parseYaml(readFileSync(configPath, 'utf8'))).toMatchObject({
      expose: { capabilities: { allow: ['matter/*'], deny: ['matter/garage-*'] } },
    });
    const json = JSON.parse((await atm('approve', '--show', '--json')).stdout) as {
      matter: { available: boolean; reason: string | null; devices: unknown[] };
      expose: { capabilities: { allow: string[] } };
    };
    expect(json.matter).toMatchObject({ available: false, devices: [] });
    expect(json.matter.reason).toMatch(/^Matter is off on this node/);
    expect(json.expose.capabilities.allow).toEqual(['matter/*']);
  }, 60_000);
});
