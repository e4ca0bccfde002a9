/**
 * The models half of `atmosphere scan` against real things: Ollama and LlamaFarm doubles on
 * 127.0.0.1 behind the real backends, and a HuggingFace cache, GGUF files and model folders written
 * byte by byte into a temp home.
 */
import { once } from 'node:events';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ModelFinding, ProbeRun } from '../src/core/index.js';
import { ManualClock, modelFindingSchema, probeRunSchema, silentLogger } from '../src/core/index.js';
import { LlamaFarmBackend, OllamaBackend } from '../src/integrations/index.js';
import { modelsFromBackend, scanModelFiles } from '../src/scanner/models/index.js';
import type { ScanEnv } from '../src/scanner/scan-env.js';
import { systemScanEnv } from '../src/scanner/scan-env.js';
import { closedPortUrl } from './doubles/double-server.js';
import { LlamaFarmDouble } from './doubles/llamafarm-double.js';
import { OllamaDouble } from './doubles/ollama-double.js';
import { buildGguf, chatModelMetadata, str, tokenList, u32 } from './fixtures/scanner/models/gguf-builder.js';

const components = { clock: { now: () => Date.now() }, logger: silentLogger() };

function expectValid(models: readonly ModelFinding[], probes: readonly ProbeRun[]): void {
  for (const m of models) modelFindingSchema.parse(m);
  for (const p of probes) probeRunSchema.parse(p);
}

describe('modelsFromBackend', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  it('lists Ollama models with sizes, families and quantization, and classifies embedding models', async () => {
    const double = await OllamaDouble.start();
    closers.push(() => double.close());
    const backend = new OllamaBackend(components, { url: double.url });
    const { models, probe } = await modelsFromBackend(backend);
    expectValid(models, [probe]);
    expect(probe).toMatchObject({ id: 'ollama', status: 'ok', detail: `3 models at ${double.url}` });
    expect(models.map((m) => [m.id, m.kind])).toEqual([
      ['llama3.2:3b', 'chat'],
      ['qwen3:1.7b', 'chat'],
      ['all-minilm:latest', 'embedding'],
    ]);
    expect(models[0]).toEqual({
      source: 'ollama',
      id: 'llama3.2:3b',
      name: 'llama3.2:3b',
      kind: 'chat',
      task: 'tools, completion',
      family: 'llama',
      parameterSize: '3.2B',
      quantization: 'Q4_K_M',
      sizeBytes: 2_019_393_189,
      contextLength: 131_072,
      location: double.url,
    });
    expect(models[2]).toMatchObject({ family: 'bert', task: 'embedding', quantization: 'F16' });
  });

  it('classifies a bert-family Ollama model as embedding even when the server reports no capabilities', async () => {
    const double = await OllamaDouble.start({
      showWithoutCapabilities: true,
      models: [{ name: 'nomic-embed-text:latest', family: 'nomic-bert', sizeBytes: 274_302_450 }],
    });
    closers.push(() => double.close());
    const { models } = await modelsFromBackend(new OllamaBackend(components, { url: double.url }));
    expect(models).toMatchObject([
      { id: 'nomic-embed-text:latest', kind: 'embedding', family: 'nomic-bert' },
    ]);
  });

  it('lists LlamaFarm projects as rag models with the probe named llamafarm', async () => {
    const double = await LlamaFarmDouble.start();
    closers.push(() => double.close());
    const backend = new LlamaFarmBackend(components, { url: double.url });
    const { models, probe } = await modelsFromBackend(backend);
    expectValid(models, [probe]);
    expect(probe).toMatchObject({ id: 'llamafarm', status: 'ok', detail: `2 projects at ${double.url}` });
    expect(models.map((m) => [m.source, m.id, m.kind])).toEqual([
      ['llamafarm', 'default/chatbot', 'rag'],
      ['llamafarm', 'default/public-docs', 'rag'],
    ]);
  });

  it('reports Ollama on a closed port as not detected, without throwing', async () => {
    const url = await closedPortUrl();
    const { models, probe } = await modelsFromBackend(new OllamaBackend(components, { url }));
    expect(models).toEqual([]);
    expect(probe).toMatchObject({
      id: 'ollama',
      status: 'not_detected',
      detail: `Ollama is not running at ${url}`,
    });
  });

  it('reports LlamaFarm on a closed port as not detected', async () => {
    const url = await closedPortUrl();
    const { probe } = await modelsFromBackend(new LlamaFarmBackend(components, { url }));
    expect(probe).toMatchObject({ status: 'not_detected', detail: `LlamaFarm is not running at ${url}` });
  });

  it('reports a server that cannot list its models as failed, with its reason', async () => {
    const double = await OllamaDouble.start({ listingError: { status: 500, message: 'disk on fire' } });
    closers.push(() => double.close());
    const { models, probe } = await modelsFromBackend(new OllamaBackend(components, { url: double.url }));
    expect(models).toEqual([]);
    expect(probe.status).toBe('failed');
    expect(probe.detail).toMatch(/could not list its models: .*disk on fire/);
  });

  it('reports a server that does not answer in time as timed out', async () => {
    const server = createServer(() => {
      // Never answers.
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const started = Date.now();
    const { probe } = await modelsFromBackend(new OllamaBackend(components, { url }), { timeoutMs: 200 });
    expect(probe).toMatchObject({ status: 'timed_out', detail: 'Ollama did not answer within 200 ms' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('throws when the caller aborts', async () => {
    const url = await closedPortUrl();
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(
      modelsFromBackend(new OllamaBackend(components, { url }), { signal: controller.signal }),
    ).rejects.toThrow('stop');
  });
});

// ---- files ----------------------------------------------------------------------------------

async function put(path: string, content: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

/** A HuggingFace cache repo: files stored as blobs, linked from the snapshot like the hub client does. */
async function putRepo(
  hub: string,
  folder: string,
  snapshots: Readonly<Record<string, Readonly<Record<string, string | Uint8Array>>>>,
  main: string | null,
): Promise<void> {
  const repo = join(hub, folder);
  let n = 0;
  const blobOf = new Map<string | Uint8Array, string>();
  for (const [commit, files] of Object.entries(snapshots)) {
    for (const [name, content] of Object.entries(files)) {
      // The same content in two snapshots is one blob.
      let blob = blobOf.get(content);
      if (blob === undefined) {
        blob = `${folder.length}${(n++).toString(16).padStart(8, '0')}`;
        blobOf.set(content, blob);
        await put(join(repo, 'blobs', blob), content);
      }
      const link = join(repo, 'snapshots', commit, name);
      await mkdir(dirname(link), { recursive: true });
      const depth = name.split('/').length + 1;
      await symlink(join(...Array<string>(depth).fill('..'), 'blobs', blob), link);
    }
  }
  if (main !== null) await put(join(repo, 'refs', 'main'), main);
}

const card = (frontMatter: string, body = '# Model card\n'): string => `---\n${frontMatter}\n---\n\n${body}`;
const json = (value: unknown): string => JSON.stringify(value, null, 2);
const weights = (bytes: number): Uint8Array => new Uint8Array(bytes).fill(7);

describe('scanModelFiles', () => {
  let root: string;
  let home: string;
  let hfHome: string;
  let extra: string;
  let env: ScanEnv;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'atmosphere-scan-models-'));
    home = join(root, 'home');
    hfHome = join(root, 'hf');
    extra = join(root, 'extra');
    const hub = join(hfHome, 'hub');

    // -- HuggingFace cache
    const whisperConfig = json({
      architectures: ['WhisperForConditionalGeneration'],
      model_type: 'whisper',
      max_position_embeddings: 448,
      torch_dtype: 'float32',
    });
    const shared = weights(1_000);
    await putRepo(
      hub,
      'models--openai--whisper-small',
      {
        aaaa1111: {
          'config.json': json({ architectures: ['LlamaForCausalLM'] }),
          'model.safetensors': shared,
        },
        bbbb2222: {
          'config.json': whisperConfig,
          'model.safetensors': shared,
          'README.md': card('language: en\npipeline_tag: automatic-speech-recognition\nlicense: apache-2.0'),
        },
      },
      'bbbb2222',
    );
    await putRepo(
      hub,
      'models--sentence-transformers--all-MiniLM-L6-v2',
      {
        cccc3333: {
          'config.json': json({
            architectures: ['BertModel'],
            model_type: 'bert',
            max_position_embeddings: 512,
          }),
          'modules.json': json([
            { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
          ]),
          '1_Pooling/config.json': json({ word_embedding_dimension: 384 }),
          'model.safetensors': weights(500),
        },
      },
      'cccc3333',
    );
    await putRepo(
      hub,
      'models--stabilityai--stable-diffusion-xl-base-1.0',
      {
        dddd4444: {
          'model_index.json': json({
            _class_name: 'StableDiffusionXLPipeline',
            _diffusers_version: '0.19.0',
          }),
          'unet/config.json': json({ _class_name: 'UNet2DConditionModel' }),
          'unet/diffusion_pytorch_model.safetensors': weights(300),
        },
      },
      null,
    );
    await putRepo(
      hub,
      'models--TheBloke--TinyLlama-1.1B-Chat-v1.0-GGUF',
      {
        eeee5555: {
          'tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf': buildGguf({
            metadata: chatModelMetadata({ name: 'tinyllama_tinyllama-1.1b-chat-v1.0', fileType: 15 }),
            tensors: [{ name: 'token_embd.weight', dims: [64, 50] }],
          }),
          'README.md': card('base_model: TinyLlama/TinyLlama-1.1B-Chat-v1.0\nmodel_type: tinyllama'),
        },
      },
      'eeee5555',
    );
    await put(join(hub, 'datasets--squad--plain', 'blobs', 'x'), 'not a model');
    await put(join(hub, 'models--openai--whisper-small', 'blobs', 'zzzz.incomplete'), weights(5_000));

    // -- GGUF files under the home
    await put(
      join(home, 'models', 'Llama-3.2-1B-Instruct-Q4_K_M.gguf'),
      buildGguf({
        metadata: chatModelMetadata({ name: 'Llama 3.2 1B Instruct', fileType: 15, sizeLabel: '1.2B' }),
        tensors: [{ name: 'token_embd.weight', dims: [64, 50] }],
      }),
    );
    await put(
      join(home, 'models', 'embed', 'nomic-embed-text-v1.5.f16.gguf'),
      buildGguf({
        metadata: [
          ['general.architecture', str('nomic-bert')],
          ['general.name', str('nomic-embed-text-v1.5')],
          ['general.file_type', u32(1)],
          ['nomic-bert.context_length', u32(2048)],
          ['nomic-bert.pooling_type', u32(1)],
          ['tokenizer.ggml.tokens', tokenList(100)],
        ],
        tensors: [{ name: 'token_embd.weight', dims: [768, 100] }],
      }),
    );
    const split = (part: number): Uint8Array =>
      part === 1
        ? buildGguf({
            metadata: [
              ...chatModelMetadata({ name: 'Big Qwen', fileType: 18, sizeLabel: '72B' }),
              ['split.no', u32(0)],
              ['split.count', u32(2)],
            ],
            tensors: [{ name: 'token_embd.weight', dims: [64, 50] }],
            dataBytes: 1_000,
          })
        : buildGguf({
            metadata: [['split.no', u32(1)]],
            tensors: [{ name: 'blk.0', dims: [64] }],
            dataBytes: 2_000,
          });
    await put(join(home, 'models', 'qwen', 'big-qwen-q6_k-00001-of-00002.gguf'), split(1));
    await put(join(home, 'models', 'qwen', 'big-qwen-q6_k-00002-of-00002.gguf'), split(2));
    const whole = buildGguf({ metadata: chatModelMetadata(), tensors: [{ name: 'w', dims: [8] }] });
    await put(join(home, 'models', 'broken', 'cut-short.gguf'), whole.subarray(0, 100));
    await put(join(home, 'models', 'broken', 'notes.gguf'), 'these are my notes, not a model\n');
    await put(
      join(home, 'models', 'vocab-only.gguf'),
      buildGguf({
        metadata: [
          ['general.architecture', str('llama')],
          ['tokenizer.ggml.tokens', tokenList(10)],
        ],
      }),
    );
    await put(
      join(home, '.cache', 'lm-studio', 'models', 'lmstudio-community', 'Phi', 'phi-Q8_0.gguf'),
      whole,
    );
    await put(join(home, 'models', '.secret', 'hidden.gguf'), whole);
    await put(join(home, 'models', 'node_modules', 'pkg', 'vendored.gguf'), whole);
    await put(join(home, 'models', 'a', 'b', 'c', 'd', 'e', 'too-deep.gguf'), whole);
    // Links: a linked folder inside a searched one is not followed; a configured path that links to
    // a default one and a link to a GGUF file find nothing twice.
    await symlink(join(home, 'models', 'embed'), join(home, 'models', 'embed-link'));
    await symlink(join(home, 'models'), join(home, 'models-link'));
    await mkdir(join(home, 'Downloads'), { recursive: true });
    await symlink(
      join(home, 'models', 'Llama-3.2-1B-Instruct-Q4_K_M.gguf'),
      join(home, 'Downloads', 'llama-link.gguf'),
    );

    // -- a transformers folder and a diffusers folder in a configured path
    await put(
      join(extra, 'my-bert', 'config.json'),
      json({
        architectures: ['DistilBertForSequenceClassification'],
        model_type: 'distilbert',
        max_position_embeddings: 512,
      }),
    );
    await put(join(extra, 'my-bert', 'model.safetensors'), weights(2_000));
    await put(join(extra, 'my-bert', 'checkpoint', 'config.json'), json({ architectures: ['BertModel'] }));
    await put(join(extra, 'my-bert', 'checkpoint', 'pytorch_model.bin'), weights(10));
    await put(join(extra, 'sd15', 'model_index.json'), json({ _class_name: 'StableDiffusionPipeline' }));
    await put(join(extra, 'sd15', 'unet', 'diffusion_pytorch_model.safetensors'), weights(400));
    await put(join(extra, 'not-a-model', 'config.json'), json({ some: 'app config' }));

    env = { ...systemScanEnv({ env: { HF_HOME: hfHome } }), homeDir: home };
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const findings = async (): Promise<{ models: ModelFinding[]; probes: ProbeRun[] }> => {
    const result = await scanModelFiles(env, { modelPaths: [extra], ggufPaths: [join(home, 'models-link')] });
    expectValid(result.models, result.probes);
    return result;
  };

  it('reads the HuggingFace cache: repo ids, blob sizes, and kinds from config, card and modules.json', async () => {
    const { models, probes } = await findings();
    const hf = models.filter((m) => m.source === 'huggingface');
    expect(hf.map((m) => [m.id, m.kind])).toEqual([
      ['openai/whisper-small', 'speech-to-text'],
      ['sentence-transformers/all-MiniLM-L6-v2', 'embedding'],
      ['stabilityai/stable-diffusion-xl-base-1.0', 'image-generation'],
      ['TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF', 'chat'],
    ]);
    const whisper = hf[0]!;
    expect(whisper).toMatchObject({
      name: 'whisper-small',
      task: 'automatic-speech-recognition',
      family: 'whisper',
      quantization: 'F32',
      contextLength: 448,
      location: join(hfHome, 'hub', 'models--openai--whisper-small', 'snapshots', 'bbbb2222'),
    });
    // Blobs: the two configs, the shared weights once, the card; the partial download is not counted.
    const whisperConfigBytes = Buffer.byteLength(
      json({
        architectures: ['WhisperForConditionalGeneration'],
        model_type: 'whisper',
        max_position_embeddings: 448,
        torch_dtype: 'float32',
      }),
    );
    const oldConfigBytes = Buffer.byteLength(json({ architectures: ['LlamaForCausalLM'] }));
    const cardBytes = Buffer.byteLength(
      card('language: en\npipeline_tag: automatic-speech-recognition\nlicense: apache-2.0'),
    );
    expect(whisper.sizeBytes).toBe(whisperConfigBytes + oldConfigBytes + 1_000 + cardBytes);
    expect(hf[1]).toMatchObject({ task: 'BertModel', family: 'bert', contextLength: 512 });
    expect(hf[2]).toMatchObject({ task: 'StableDiffusionXLPipeline', name: 'stable-diffusion-xl-base-1.0' });
    expect(hf[3]).toMatchObject({
      quantization: 'Q4_K_M',
      family: 'llama',
      contextLength: 8192,
      // Counted from the header's tensor table (one 64 × 50 tensor), not read off the repo name.
      parameterSize: '3K',
    });
    expect(probes.find((p) => p.id === 'huggingface')).toMatchObject({
      status: 'ok',
      detail: `4 models in ${join(hfHome, 'hub')}`,
    });
  });

  it('finds GGUF files in the default folders and reads their headers', async () => {
    const { models } = await findings();
    const gguf = models.filter((m) => m.source === 'gguf');
    expect(gguf.map((m) => m.id)).toEqual([
      '~/.cache/lm-studio/models/lmstudio-community/Phi/phi-Q8_0.gguf',
      '~/models/embed/nomic-embed-text-v1.5.f16.gguf',
      '~/models/Llama-3.2-1B-Instruct-Q4_K_M.gguf',
      '~/models/qwen/big-qwen-q6_k-00001-of-00002.gguf',
    ]);
    expect(gguf[2]).toEqual({
      source: 'gguf',
      id: '~/models/Llama-3.2-1B-Instruct-Q4_K_M.gguf',
      name: 'Llama 3.2 1B Instruct',
      kind: 'chat',
      task: 'llama',
      family: 'llama',
      parameterSize: '1.2B',
      quantization: 'Q4_K_M',
      sizeBytes: gguf[2]!.sizeBytes,
      contextLength: 8192,
      location: join(home, 'models', 'Llama-3.2-1B-Instruct-Q4_K_M.gguf'),
    });
    expect(gguf[1]).toMatchObject({
      kind: 'embedding',
      family: 'nomic-bert',
      quantization: 'F16',
      contextLength: 2048,
      parameterSize: '77K',
    });
    // The header says Q4_K_M for every chat fixture; the file name's Q8_0 does not override it.
    expect(gguf[0]).toMatchObject({ quantization: 'Q4_K_M', name: 'Tiny Llama Chat' });
  });

  it('counts a split GGUF model once, sized as the sum of its parts', async () => {
    const { models } = await findings();
    const split = models.filter((m) => m.id.includes('big-qwen'));
    expect(split).toHaveLength(1);
    const part1 = buildGguf({
      metadata: [
        ...chatModelMetadata({ name: 'Big Qwen', fileType: 18, sizeLabel: '72B' }),
        ['split.no', u32(0)],
        ['split.count', u32(2)],
      ],
      tensors: [{ name: 'token_embd.weight', dims: [64, 50] }],
      dataBytes: 1_000,
    });
    const part2 = buildGguf({
      metadata: [['split.no', u32(1)]],
      tensors: [{ name: 'blk.0', dims: [64] }],
      dataBytes: 2_000,
    });
    expect(split[0]).toMatchObject({
      name: 'Big Qwen',
      quantization: 'Q6_K',
      parameterSize: '72B',
      sizeBytes: part1.byteLength + part2.byteLength,
    });
  });

  it('skips truncated, non-GGUF and vocabulary-only files with a note, and hidden, vendored and too-deep folders', async () => {
    const { models, probes } = await findings();
    const ids = models.map((m) => m.id);
    for (const name of ['cut-short', 'notes', 'vocab-only', 'hidden', 'vendored', 'too-deep']) {
      expect(ids.some((id) => id.includes(name))).toBe(false);
    }
    const gguf = probes.find((p) => p.id === 'gguf')!;
    expect(gguf.status).toBe('ok');
    expect(gguf.detail).toContain('4 GGUF models');
    expect(gguf.detail).toContain(
      '~/models/broken/cut-short.gguf: not a model (truncated: the file ends inside its metadata',
    );
    expect(gguf.detail).toContain('~/models/broken/notes.gguf: not a model (not a GGUF file (wrong magic))');
    expect(gguf.detail).toContain(
      '~/models/vocab-only.gguf: not a model (it holds no tensors, only a vocabulary)',
    );
    expect(gguf.detail).not.toContain('stopped after');
  });

  it('finds transformers and diffusers folders in the configured paths without searching inside them', async () => {
    const { models, probes } = await findings();
    const folders = models.filter((m) => m.source === 'transformers');
    expect(folders.map((m) => [m.name, m.kind, m.task])).toEqual([
      ['my-bert', 'classification', 'DistilBertForSequenceClassification'],
      ['sd15', 'image-generation', 'StableDiffusionPipeline'],
    ]);
    expect(folders[0]).toMatchObject({
      id: join(extra, 'my-bert'),
      family: 'distilbert',
      contextLength: 512,
      location: join(extra, 'my-bert'),
    });
    const bertFiles =
      Buffer.byteLength(
        json({
          architectures: ['DistilBertForSequenceClassification'],
          model_type: 'distilbert',
          max_position_embeddings: 512,
        }),
      ) +
      2_000 +
      Buffer.byteLength(json({ architectures: ['BertModel'] })) +
      10;
    expect(folders[0]!.sizeBytes).toBe(bertFiles);
    expect(probes.find((p) => p.id === 'transformers')).toMatchObject({ status: 'ok' });
    expect(probes.find((p) => p.id === 'transformers')!.detail).toMatch(/^2 model folders; searched /);
  });

  it('says the search stopped when the entry budget ran out', async () => {
    const { probes } = await scanModelFiles(env, { maxEntries: 5 });
    const gguf = probes.find((p) => p.id === 'gguf')!;
    expect(gguf.detail).toMatch(/stopped after 5 entries visited \(the limit is 5\); \d+ ms/);
  });

  it('says the search stopped when the time budget ran out', async () => {
    const clock = new ManualClock(0);
    // Each folder listing takes 600 ms of (manual) time: the third one ends the 1500 ms budget.
    const slowEnv: ScanEnv = {
      ...env,
      list: async (path) => {
        const entries = await env.list(path);
        clock.advance(600);
        return entries;
      },
    };
    const { probes } = await scanModelFiles(slowEnv, { clock, timeBudgetMs: 1_500 });
    const gguf = probes.find((p) => p.id === 'gguf')!;
    expect(gguf.detail).toMatch(/stopped after \d+ ms; \d+ entries visited/);
    const ms = Number(/stopped after (\d+) ms/.exec(gguf.detail!)![1]);
    expect(ms).toBeGreaterThanOrEqual(1_500);
  });

  it('does not descend past the maximum depth', async () => {
    const { models } = await scanModelFiles(env, { maxDepth: 0 });
    expect(models.filter((m) => m.source === 'gguf').map((m) => m.id)).toEqual([
      '~/models/Llama-3.2-1B-Instruct-Q4_K_M.gguf',
    ]);
  });

  it('reports nothing found as not detected, naming where it looked', async () => {
    const empty = await mkdtemp(join(root, 'empty-home-'));
    const bare: ScanEnv = { ...systemScanEnv({ env: {} }), homeDir: empty };
    const { models, probes } = await scanModelFiles(bare);
    expect(models).toEqual([]);
    expect(probes.map((p) => [p.id, p.status])).toEqual([
      ['huggingface', 'not_detected'],
      ['gguf', 'not_detected'],
      ['transformers', 'not_detected'],
    ]);
    expect(probes[0]!.detail).toBe('no HuggingFace cache at ~/.cache/huggingface/hub');
    expect(probes[1]!.detail).toBe('no GGUF models; none of the folders searched exist');
  });

  it('reads past a large vocabulary to the last keys, up to the header byte limit', async () => {
    const dir = await mkdtemp(join(root, 'big-vocab-'));
    // About 500 KiB of tokens before the file type, which llama-quantize writes last.
    await put(
      join(dir, 'mistral.gguf'),
      buildGguf({
        metadata: [
          ['general.architecture', str('llama')],
          ['general.name', str('Mistral 7B Instruct')],
          ['llama.context_length', u32(32_768)],
          ['tokenizer.ggml.tokens', tokenList(32_768)],
          ['general.file_type', u32(30)],
        ],
        tensors: [{ name: 'w', dims: [8] }],
      }),
    );
    const bare: ScanEnv = { ...systemScanEnv({ env: {} }), homeDir: join(root, 'no-home') };
    const far = await scanModelFiles(bare, { ggufPaths: [dir] });
    expect(far.models).toMatchObject([
      { name: 'Mistral 7B Instruct', quantization: 'IQ4_XS', contextLength: 32_768, parameterSize: '8' },
    ]);
    // With only 64 KiB allowed the file type is out of reach (and so is the tensor table).
    const near = await scanModelFiles(bare, { ggufPaths: [dir], maxHeaderBytes: 64 * 1024 });
    expect(near.models).toMatchObject([
      { name: 'Mistral 7B Instruct', quantization: null, parameterSize: null, contextLength: 32_768 },
    ]);
    // ... unless the file name says it.
    await rename(join(dir, 'mistral.gguf'), join(dir, 'Mistral-7B-Instruct-v0.3-IQ4_XS.gguf'));
    const named = await scanModelFiles(bare, { ggufPaths: [dir], maxHeaderBytes: 64 * 1024 });
    expect(named.models).toMatchObject([{ quantization: 'IQ4_XS', parameterSize: '7B', kind: 'chat' }]);
  });

  it('throws when the caller aborts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop scanning'));
    await expect(scanModelFiles(env, { signal: controller.signal })).rejects.toThrow('stop scanning');
  });
});
