import { describe, expect, it } from 'vitest';
import {
  buildGguf,
  chatModelMetadata,
  str,
  u32,
} from '../../../test/fixtures/scanner/models/gguf-builder.js';
import type { ModelKind } from '../../core/index.js';
import type { TransformersFacts } from './classify.js';
import {
  NO_FACTS,
  describeGguf,
  formatParameterCount,
  guessTransformersKind,
  quantizationFromName,
  sizeLabelFromName,
  transformersTask,
} from './classify.js';
import type { GgufHeader } from './gguf-header.js';
import { parseGgufHeader } from './gguf-header.js';

const facts = (over: Partial<TransformersFacts>): TransformersFacts => ({ ...NO_FACTS, ...over });

describe('guessTransformersKind', () => {
  const table: readonly [string, Partial<TransformersFacts>, ModelKind][] = [
    [
      'Whisper',
      { architectures: ['WhisperForConditionalGeneration'], modelType: 'whisper' },
      'speech-to-text',
    ],
    ['wav2vec2 CTC', { architectures: ['Wav2Vec2ForCTC'] }, 'speech-to-text'],
    ['a bare BERT encoder', { architectures: ['BertModel'], modelType: 'bert' }, 'embedding'],
    [
      'a sentence-transformers model (modules.json)',
      { architectures: ['MPNetForMaskedLM'], sentenceTransformers: true },
      'embedding',
    ],
    ['a nomic-bert encoder', { architectures: ['NomicBertModel'] }, 'embedding'],
    ['CLIP', { architectures: ['CLIPModel'], modelType: 'clip' }, 'vision'],
    ['a causal LM', { architectures: ['LlamaForCausalLM'], modelType: 'llama' }, 'chat'],
    ['GPT-2', { architectures: ['GPT2LMHeadModel'] }, 'chat'],
    [
      'a vision-language model',
      { architectures: ['Gemma3ForConditionalGeneration'], hasVisionConfig: true },
      'vision',
    ],
    ['LLaVA', { architectures: ['LlavaForConditionalGeneration'] }, 'vision'],
    [
      'Stable Diffusion (model_index.json)',
      { diffusersClass: 'StableDiffusionPipeline' },
      'image-generation',
    ],
    ['SDXL (model_index.json)', { diffusersClass: 'StableDiffusionXLPipeline' }, 'image-generation'],
    ['a video pipeline', { diffusersClass: 'StableVideoDiffusionPipeline' }, 'other'],
    ['a text classifier', { architectures: ['DistilBertForSequenceClassification'] }, 'classification'],
    ['an image classifier', { architectures: ['ViTForImageClassification'] }, 'classification'],
    ['an object detector', { architectures: ['DetrForObjectDetection'] }, 'vision'],
    ['SpeechT5 TTS', { architectures: ['SpeechT5ForTextToSpeech'], modelType: 'speecht5' }, 'text-to-speech'],
    ['Bark', { architectures: ['BarkModel'] }, 'text-to-speech'],
    ['VITS', { architectures: ['VitsModel'] }, 'text-to-speech'],
    ['a masked LM (BERT base)', { architectures: ['BertForMaskedLM'], modelType: 'bert' }, 'other'],
    ['only a model_type', { modelType: 'whisper' }, 'speech-to-text'],
    ['nothing at all', {}, 'other'],
    [
      'a card that says feature-extraction over a causal architecture',
      { architectures: ['Qwen2ForCausalLM'], pipelineTag: 'feature-extraction' },
      'embedding',
    ],
    [
      'a card that says automatic-speech-recognition',
      { pipelineTag: 'automatic-speech-recognition' },
      'speech-to-text',
    ],
    ['a card that says text-to-image', { pipelineTag: 'text-to-image' }, 'image-generation'],
    ['a cross-encoder card (text-ranking)', { pipelineTag: 'text-ranking' }, 'classification'],
    ['a sentence-transformers library card', { libraryName: 'sentence-transformers' }, 'embedding'],
  ];
  it.each(table)('classifies %s', (_label, given, kind) => {
    expect(guessTransformersKind(facts(given))).toBe(kind);
  });

  it('states the task as the card does, else by architecture, pipeline class or model type', () => {
    expect(transformersTask(facts({ pipelineTag: 'fill-mask', architectures: ['BertForMaskedLM'] }))).toBe(
      'fill-mask',
    );
    expect(transformersTask(facts({ architectures: ['WhisperForConditionalGeneration'] }))).toBe(
      'WhisperForConditionalGeneration',
    );
    expect(transformersTask(facts({ diffusersClass: 'StableDiffusionXLPipeline' }))).toBe(
      'StableDiffusionXLPipeline',
    );
    expect(transformersTask(facts({ modelType: 'bert' }))).toBe('bert');
    expect(transformersTask(NO_FACTS)).toBeNull();
  });
});

describe('names', () => {
  it('finds the quantization a GGUF file name states', () => {
    expect(quantizationFromName('Llama-3.2-3B-Instruct-Q4_K_M.gguf')).toBe('Q4_K_M');
    expect(quantizationFromName('mistral-7b-instruct-v0.2.Q5_K_S.gguf')).toBe('Q5_K_S');
    expect(quantizationFromName('qwen2.5-0.5b-instruct-iq3_xxs.gguf')).toBe('IQ3_XXS');
    expect(quantizationFromName('nomic-embed-text-v1.5.f16.gguf')).toBe('F16');
    expect(quantizationFromName('Qwen2.5-7B-Instruct.gguf')).toBeNull();
  });

  it('finds the parameter count a name states', () => {
    expect(sizeLabelFromName('Qwen2.5-7B-Instruct')).toBe('7B');
    expect(sizeLabelFromName('Mixtral-8x7B-v0.1')).toBe('8x7B');
    expect(sizeLabelFromName('llama-3.2-3b-instruct-q4_k_m.gguf')).toBe('3B');
    expect(sizeLabelFromName('SmolLM2-135M-Instruct')).toBe('135M');
    expect(sizeLabelFromName('all-MiniLM-L6-v2')).toBeNull();
    expect(sizeLabelFromName('bge-m3')).toBeNull();
  });

  it('prints parameter counts the way llama.cpp does', () => {
    expect(formatParameterCount(8_030_261_248)).toBe('8.0B');
    expect(formatParameterCount(22_565_376)).toBe('23M');
    expect(formatParameterCount(12_800)).toBe('13K');
  });
});

function header(metadata: Parameters<typeof buildGguf>[0]['metadata'], tensors = true): GgufHeader {
  const result = parseGgufHeader(
    buildGguf({ metadata, tensors: tensors ? [{ name: 'w', dims: [1_000, 1_000] }] : [] }),
    { endOfFile: true },
  );
  if (result.status !== 'ok') throw new Error(result.reason);
  return result.header;
}

describe('describeGguf', () => {
  it('describes a chat model from its header', () => {
    const d = describeGguf(header(chatModelMetadata({ sizeLabel: '1.1B' })), 'whatever.gguf');
    expect(d).toEqual({
      kind: 'chat',
      task: 'llama',
      name: 'Tiny Llama Chat',
      architecture: 'llama',
      quantization: 'Q4_K_M',
      parameterSize: '1.1B',
      contextLength: 8192,
    });
  });

  it('counts parameters from the tensor table when the header has no size label', () => {
    expect(describeGguf(header(chatModelMetadata()), 'x.gguf').parameterSize).toBe('1M');
  });

  it('takes quantization and size from the file name when the header does not say', () => {
    const d = describeGguf(
      header([['general.architecture', str('llama')]], false),
      'Llama-3.2-3B-Instruct-Q6_K.gguf',
    );
    expect(d.quantization).toBe('Q6_K');
    expect(d.parameterSize).toBe('3B');
  });

  it('classifies BERT-family and pooling models as embeddings and rank pooling as a reranker', () => {
    const kind = (arch: string, pooling?: number): ModelKind =>
      describeGguf(
        header([
          ['general.architecture', str(arch)],
          ...(pooling === undefined ? [] : [[`${arch}.pooling_type`, u32(pooling)] as const]),
        ]),
        'x.gguf',
      ).kind;
    expect(kind('bert')).toBe('embedding');
    expect(kind('nomic-bert')).toBe('embedding');
    expect(kind('qwen3', 3)).toBe('embedding');
    expect(kind('qwen3')).toBe('chat');
    expect(kind('bert', 4)).toBe('classification');
    expect(kind('clip')).toBe('vision');
    expect(kind('flux')).toBe('image-generation');
  });

  it('calls LoRA adapters and projectors what they are', () => {
    const adapter = describeGguf(
      header([
        ['general.architecture', str('llama')],
        ['general.type', str('adapter')],
        ['adapter.type', str('lora')],
      ]),
      'x.gguf',
    );
    expect(adapter).toMatchObject({ kind: 'other', task: 'lora adapter' });
    const mmproj = describeGguf(
      header([
        ['general.architecture', str('clip')],
        ['general.type', str('mmproj')],
      ]),
      'x.gguf',
    );
    expect(mmproj).toMatchObject({ kind: 'vision', task: 'multimodal projector' });
  });
});
