/**
 * What a model on disk is for, guessed from what it says about itself: a transformers
 * `config.json` (architectures, `model_type`), the model card's `pipeline_tag`, a
 * sentence-transformers `modules.json`, a diffusers `model_index.json`, or a GGUF header. Pure
 * functions over plain facts, so the rules are tested as a table.
 */
import type { ModelKind } from '../../core/index.js';
import type { GgufHeader } from './gguf-header.js';
import { ggufFileTypeName, ggufInteger, ggufString } from './gguf-header.js';

/** What a transformers-style folder says about itself. */
export interface TransformersFacts {
  /** `config.json` → `architectures`. */
  readonly architectures: readonly string[];
  /** `config.json` → `model_type`. */
  readonly modelType: string | null;
  /** The model card's front matter `pipeline_tag`. */
  readonly pipelineTag: string | null;
  /** The model card's `library_name`. */
  readonly libraryName: string | null;
  /** The model card's `tags`. */
  readonly tags: readonly string[];
  /** A sentence-transformers `modules.json` is present. */
  readonly sentenceTransformers: boolean;
  /** `model_index.json` → `_class_name` (a diffusers pipeline such as `StableDiffusionXLPipeline`). */
  readonly diffusersClass: string | null;
  /** `config.json` has a `vision_config` (a vision-language model). */
  readonly hasVisionConfig: boolean;
}

export const NO_FACTS: TransformersFacts = {
  architectures: [],
  modelType: null,
  pipelineTag: null,
  libraryName: null,
  tags: [],
  sentenceTransformers: false,
  diffusersClass: null,
  hasVisionConfig: false,
};

/** HuggingFace task (`pipeline_tag`) → kind. Tasks not listed here say nothing (`other`). */
export const PIPELINE_TAG_KINDS: Readonly<Record<string, ModelKind>> = {
  'text-generation': 'chat',
  'text2text-generation': 'chat',
  conversational: 'chat',
  'feature-extraction': 'embedding',
  'sentence-similarity': 'embedding',
  'automatic-speech-recognition': 'speech-to-text',
  'text-to-speech': 'text-to-speech',
  'text-to-audio': 'text-to-speech',
  'text-to-image': 'image-generation',
  'image-to-image': 'image-generation',
  'unconditional-image-generation': 'image-generation',
  'image-text-to-text': 'vision',
  'image-to-text': 'vision',
  'visual-question-answering': 'vision',
  'document-question-answering': 'vision',
  'zero-shot-image-classification': 'vision',
  'object-detection': 'vision',
  'zero-shot-object-detection': 'vision',
  'image-segmentation': 'vision',
  'mask-generation': 'vision',
  'depth-estimation': 'vision',
  'image-feature-extraction': 'vision',
  'image-classification': 'classification',
  'text-classification': 'classification',
  'token-classification': 'classification',
  'zero-shot-classification': 'classification',
  'audio-classification': 'classification',
  'text-ranking': 'classification',
  // Text generators, but not models to chat with.
  translation: 'other',
  summarization: 'other',
  'fill-mask': 'other',
  'question-answering': 'other',
};

/** Architecture (`config.json` → `architectures[]`) patterns, tried in order. */
const ARCHITECTURE_RULES: readonly (readonly [RegExp, ModelKind])[] = [
  [
    /^(Whisper|Speech2Text|SpeechEncoderDecoder|Moonshine)|ForCTC$|ForSpeechSeq2Seq$|SpeechToText/,
    'speech-to-text',
  ],
  [/TextToSpeech|TextToWaveform|^(Bark|Vits|FastSpeech2|ParlerTTS|SpeechT5HifiGan|Kokoro)/, 'text-to-speech'],
  [
    /For(Sequence|Token|Audio|Image)Classification$|ForMultipleChoice$|ForAudioFrameClassification$/,
    'classification',
  ],
  [
    /^(CLIP|Siglip|Blip|Llava|Idefics|PaliGemma|Qwen2VL|Qwen2_5_VL|Florence|Owl|Detr|Dinov2|Sam|Mllama|Kosmos|GroundingDino|Pix2Struct|VisionEncoderDecoder|Fuyu|ViT|Chameleon)|For(ObjectDetection|SemanticSegmentation|InstanceSegmentation|UniversalSegmentation|DepthEstimation|ZeroShotImageClassification|Vision2Seq|ImageTextToText|VisualQuestionAnswering)$/,
    'vision',
  ],
  [/ForCausalLM$|LMHeadModel$|ForConditionalGeneration$/, 'chat'],
  [
    /^(Bert|Roberta|XLMRoberta|NomicBert|MPNet|DistilBert|Electra|Deberta|DebertaV2|ModernBert|Camembert|Albert|NewModel|Jina\w*|XLM)Model$|^T5EncoderModel$/,
    'embedding',
  ],
];

/** `model_type` when there are no architectures (or none matched). */
const MODEL_TYPE_KINDS: Readonly<Record<string, ModelKind>> = {
  whisper: 'speech-to-text',
  wav2vec2: 'speech-to-text',
  clip: 'vision',
  siglip: 'vision',
  bark: 'text-to-speech',
  vits: 'text-to-speech',
  speecht5: 'text-to-speech',
  bert: 'embedding',
  nomic_bert: 'embedding',
  mpnet: 'embedding',
  'xlm-roberta': 'embedding',
};

/** What a transformers or diffusers model is for. */
export function guessTransformersKind(facts: TransformersFacts): ModelKind {
  if (facts.diffusersClass !== null) {
    return /Audio|Music|Video|AnimateDiff|I2VGen|Wan|Mochi|Cog/i.test(facts.diffusersClass)
      ? 'other'
      : 'image-generation';
  }
  if (facts.pipelineTag !== null) {
    const kind = PIPELINE_TAG_KINDS[facts.pipelineTag];
    if (kind !== undefined) return kind;
  }
  if (
    facts.sentenceTransformers ||
    facts.libraryName === 'sentence-transformers' ||
    facts.tags.includes('sentence-transformers')
  ) {
    return 'embedding';
  }
  for (const arch of facts.architectures) {
    for (const [pattern, kind] of ARCHITECTURE_RULES) {
      if (!pattern.test(arch)) continue;
      // A generative model with a vision tower (Gemma 3, Llama 3.2 Vision) reads images.
      if (kind === 'chat' && facts.hasVisionConfig && /ForConditionalGeneration$/.test(arch)) return 'vision';
      return kind;
    }
  }
  // Architectures that matched no rule (`BertForMaskedLM`, `*ForQuestionAnswering`) say `other`;
  // only a config without any falls back to its `model_type`.
  if (facts.architectures.length === 0 && facts.modelType !== null) {
    return MODEL_TYPE_KINDS[facts.modelType] ?? 'other';
  }
  return 'other';
}

/** The task as the model states it: the card's `pipeline_tag`, else its architecture or pipeline class. */
export function transformersTask(facts: TransformersFacts): string | null {
  return facts.pipelineTag ?? facts.architectures[0] ?? facts.diffusersClass ?? facts.modelType;
}

// ---- names ----------------------------------------------------------------------------------

const QUANT_IN_NAME =
  /(?:^|[-_.])((?:I?Q\d(?:_[0-9A-Z]{1,3}){0,3})|BF16|F16|FP16|F32|FP32|MXFP4)(?=[-_.]|$)/i;
const SIZE_IN_NAME = /(?:^|[-_.])((?:\d+x)?\d+(?:\.\d+)?[BM])(?=[-_.]|$)/i;

/** The quantization a file name states (`Llama-3.2-3B-Instruct-Q4_K_M.gguf` → `Q4_K_M`). */
export function quantizationFromName(name: string): string | null {
  const match = QUANT_IN_NAME.exec(name.replace(/\.gguf$/i, ''));
  return match === null ? null : match[1]!.toUpperCase();
}

/** The parameter count a name states (`Qwen2.5-7B-Instruct` → `7B`, `Mixtral-8x7B` → `8x7B`). */
export function sizeLabelFromName(name: string): string | null {
  const match = SIZE_IN_NAME.exec(name.replace(/\.gguf$/i, ''));
  if (match === null) return null;
  const label = match[1]!;
  return label.slice(0, -1) + label.slice(-1).toUpperCase();
}

/** A parameter count as llama.cpp prints it: `8030261248` → `8.0B`, `22565376` → `23M`. */
export function formatParameterCount(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(1)}B`;
  if (count >= 1e6) return `${Math.round(count / 1e6)}M`;
  if (count >= 1e3) return `${Math.round(count / 1e3)}K`;
  return String(count);
}

// ---- GGUF -----------------------------------------------------------------------------------

/** GGUF architectures whose models turn text into vectors (llama.cpp's encoder-only models). */
export const GGUF_EMBEDDING_ARCHITECTURES: readonly string[] = [
  'bert',
  'nomic-bert',
  'nomic-bert-moe',
  'jina-bert-v2',
  'jina-bert-v3',
  'modern-bert',
  'neo-bert',
  'eurobert',
  't5encoder',
];

/** GGUF architectures of image models (stable-diffusion.cpp and ComfyUI-GGUF files). */
const GGUF_IMAGE_ARCHITECTURES: readonly string[] = [
  'sd1',
  'sd2',
  'sdxl',
  'sd3',
  'flux',
  'aura',
  'hidream',
  'lumina2',
  'chroma',
  'qwen_image',
];

/** llama.cpp's `LLAMA_POOLING_TYPE_RANK`: a reranker, which scores pairs instead of embedding. */
const POOLING_RANK = 4;

/** What a GGUF model is, from its header (and its file name for what the header leaves out). */
export interface GgufDescription {
  readonly kind: ModelKind;
  readonly task: string | null;
  readonly name: string | null;
  readonly architecture: string | null;
  readonly quantization: string | null;
  readonly parameterSize: string | null;
  readonly contextLength: number | null;
}

/** Describes a GGUF model from its header; `fileName` fills in quantization and size when unsaid. */
export function describeGguf(header: GgufHeader, fileName: string): GgufDescription {
  const architecture = ggufString(header, 'general.architecture');
  const type = ggufString(header, 'general.type');
  const fileType = ggufInteger(header, 'general.file_type');
  const pooling = architecture === null ? null : ggufInteger(header, `${architecture}.pooling_type`);
  const context = architecture === null ? null : ggufInteger(header, `${architecture}.context_length`);

  let kind: ModelKind = 'chat';
  let task: string | null = architecture;
  if (type === 'adapter') {
    kind = 'other';
    task = `${ggufString(header, 'adapter.type') ?? 'model'} adapter`;
  } else if (type === 'mmproj' || architecture === 'clip') {
    kind = 'vision';
    task = 'multimodal projector';
  } else if (pooling === POOLING_RANK) {
    kind = 'classification';
    task = 'reranking';
  } else if (
    (architecture !== null && GGUF_EMBEDDING_ARCHITECTURES.includes(architecture)) ||
    pooling !== null
  ) {
    kind = 'embedding';
    task = 'embedding';
  } else if (architecture === 'wavtokenizer-dec') {
    kind = 'text-to-speech';
  } else if (architecture !== null && GGUF_IMAGE_ARCHITECTURES.includes(architecture)) {
    kind = 'image-generation';
  } else if (architecture === null) {
    kind = 'other';
  }

  return {
    kind,
    task,
    name: ggufString(header, 'general.name'),
    architecture,
    quantization: fileType !== null ? ggufFileTypeName(fileType) : quantizationFromName(fileName),
    parameterSize:
      ggufString(header, 'general.size_label') ??
      (header.parameterCount !== null && header.parameterCount > 0
        ? formatParameterCount(header.parameterCount)
        : sizeLabelFromName(fileName)),
    contextLength: context !== null && context > 0 ? context : null,
  };
}
